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

// rawKeyColumn is rawKeyColumnGo in SSE2 (dense_amd64.s).
func rawKeyColumn(c []float32, keys []uint32, gsize, off, hiOff int) {
	ng := len(c) / walkGroup
	if ng == 0 {
		return
	}
	if off < 0 || hiOff < 0 || (ng-1)*gsize+off+hiOff+walkGroup > len(keys) || (ng-1)*gsize+off+walkGroup > len(keys) {
		panic("gbm: rawKeyColumn: keys too short")
	}
	rawKeyColumnAsm(&c[0], ng, &keys[off], gsize*4, hiOff*4)
}

// rawKeyColumnAsm converts ng groups of walkGroup float32s at src to keys:
// group g to dst + g·gstride bytes and, with missing values smallest, to
// hiOff bytes further.
//
//go:noescape
func rawKeyColumnAsm(src *float32, ng int, dst *uint32, gstride, hiOff int)
