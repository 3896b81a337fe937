//go:build !amd64 || purego

package gbm

func walkTile32(refs []treeRef, keys []uint32, ng, gsize int, acc []float64) {
	walkTileGo(refs, keys, ng, gsize, acc)
}

func walkTile8(refs []treeRef, keys []uint8, ng, gsize int, acc []float64) {
	walkTileGo(refs, keys, ng, gsize, acc)
}

func rawKeyColumn(c []float32, keys []uint32, gsize, off, hiOff int) {
	rawKeyColumnGo(c, keys, gsize, off, hiOff)
}
