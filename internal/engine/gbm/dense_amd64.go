//go:build amd64 && !purego

package gbm

// walkTile32 and walkTile8 are walkTileGo in assembly (dense_amd64.s).
func walkTile32(refs []treeRef, keys []uint32, ng, gsize int, acc []float64) {
	walkTileAsm32(&refs[0], len(refs), &keys[0], ng, gsize*4, &acc[0])
}

func walkTile8(refs []treeRef, keys []uint8, ng, gsize int, acc []float64) {
	walkTileAsm8(&refs[0], len(refs), &keys[0], ng, gsize, &acc[0])
}

// walkTileAsm32 walks ng groups of keys (gstride bytes apart) through the
// ntrees trees at refs, adding each tree's leaves to the ng·walkGroup sums
// at acc.
//
//go:noescape
func walkTileAsm32(refs *treeRef, ntrees int, keys *uint32, ng, gstride int, acc *float64)

//go:noescape
func walkTileAsm8(refs *treeRef, ntrees int, keys *uint8, ng, gstride int, acc *float64)
