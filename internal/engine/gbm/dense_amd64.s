//go:build amd64 && !purego

#include "textflag.h"

// The dense walk of dense.go (walkTileGo) for amd64. Registers:
//
//	AX BX CX DX SI DI R8 R9  heap positions j of the group's 8 rows
//	X0-X7                    the rows' sums
//	R10                      the tree's words
//	R11                      the group's keys
//	R12 R13                  scratch
//	R14 R15                  the root's threshold and key offset
//
// A level is, per row: load the node word at j, split it into key offset
// and threshold, compare the threshold with the row's key (CF is set when
// the key is greater) and j = 2j + CF.

#define STEP32(J, LANE) MOVQ (R10)(J*8), R12; MOVL R12, R13; SHRQ $32, R12; CMPL R12, LANE(R11)(R13*1); ADCQ J, J
#define STEP8(J, LANE) MOVQ (R10)(J*8), R12; MOVL R12, R13; SHRQ $32, R12; CMPB R12, LANE(R11)(R13*1); ADCQ J, J
#define ROOT32(J, LANE) CMPL R14, LANE(R11)(R15*1); ADCQ J, J
#define ROOT8(J, LANE) CMPB R14, LANE(R11)(R15*1); ADCQ J, J

// TILE expands to the body of a walkTileAsm function; W is the key size
// (1 or 4), STEP and ROOT the level macros for it.
#define TILE(W, STEP, ROOT) \
	MOVQ keys+16(FP), R11 \
	MOVQ ng+24(FP), R12 \
	TESTQ R12, R12 \
	JZ done \
	MOVQ R12, groups-24(SP) \
	MOVQ acc+40(FP), R12 \
	MOVQ R12, accp-32(SP) \
group: \
	MOVQ accp-32(SP), R12 \
	MOVSD 0(R12), X0 \
	MOVSD 8(R12), X1 \
	MOVSD 16(R12), X2 \
	MOVSD 24(R12), X3 \
	MOVSD 32(R12), X4 \
	MOVSD 40(R12), X5 \
	MOVSD 48(R12), X6 \
	MOVSD 56(R12), X7 \
	MOVQ refs+0(FP), R12 \
	MOVQ R12, tp-8(SP) \
	MOVQ ntrees+8(FP), R12 \
	MOVQ R12, nt-16(SP) \
tree: \
	MOVQ tp-8(SP), R12 \
	MOVQ 0(R12), R10 \
	MOVQ 8(R12), R13 \
	ADDQ $16, R12 \
	MOVQ R12, tp-8(SP) \
	MOVL $1, AX \
	MOVL $1, BX \
	MOVL $1, CX \
	MOVL $1, DX \
	MOVL $1, SI \
	MOVL $1, DI \
	MOVL $1, R8 \
	MOVL $1, R9 \
	TESTQ R13, R13 \
	JZ leaves \
	MOVL 8(R10), R15 \
	MOVL 12(R10), R14 \
	ROOT(AX, 0) \
	ROOT(BX, W) \
	ROOT(CX, 2*W) \
	ROOT(DX, 3*W) \
	ROOT(SI, 4*W) \
	ROOT(DI, 5*W) \
	ROOT(R8, 6*W) \
	ROOT(R9, 7*W) \
	DECQ R13 \
	JZ leaves \
	MOVQ R13, lev-40(SP) \
level: \
	STEP(AX, 0) \
	STEP(BX, W) \
	STEP(CX, 2*W) \
	STEP(DX, 3*W) \
	STEP(SI, 4*W) \
	STEP(DI, 5*W) \
	STEP(R8, 6*W) \
	STEP(R9, 7*W) \
	DECQ lev-40(SP) \
	JNZ level \
leaves: \
	ADDSD (R10)(AX*8), X0 \
	ADDSD (R10)(BX*8), X1 \
	ADDSD (R10)(CX*8), X2 \
	ADDSD (R10)(DX*8), X3 \
	ADDSD (R10)(SI*8), X4 \
	ADDSD (R10)(DI*8), X5 \
	ADDSD (R10)(R8*8), X6 \
	ADDSD (R10)(R9*8), X7 \
	DECQ nt-16(SP) \
	JNZ tree \
	MOVQ accp-32(SP), R12 \
	MOVSD X0, 0(R12) \
	MOVSD X1, 8(R12) \
	MOVSD X2, 16(R12) \
	MOVSD X3, 24(R12) \
	MOVSD X4, 32(R12) \
	MOVSD X5, 40(R12) \
	MOVSD X6, 48(R12) \
	MOVSD X7, 56(R12) \
	ADDQ $64, R12 \
	MOVQ R12, accp-32(SP) \
	ADDQ gstride+32(FP), R11 \
	DECQ groups-24(SP) \
	JNZ group \
done: \
	RET

// func walkTileAsm32(refs *treeRef, ntrees int, keys *uint32, ng, gstride int, acc *float64)
TEXT ·walkTileAsm32(SB), NOSPLIT, $40-48
	TILE(4, STEP32, ROOT32)

// func walkTileAsm8(refs *treeRef, ntrees int, keys *uint8, ng, gstride int, acc *float64)
TEXT ·walkTileAsm8(SB), NOSPLIT, $40-48
	TILE(1, STEP8, ROOT8)

// KEYS4 converts the 4 floats at OFF(SI) to their two keys (see keyPair):
// X4 = 0x80000000, X5 = 0x7fffffff, X6 = 0x7f800000 in every lane.
#define KEYS4(OFF) \
	MOVOU OFF(SI), X0 \
	MOVO X0, X1 \
	PSRAL $31, X1 \
	POR X4, X1 \
	PXOR X0, X1 \
	PAND X5, X0 \
	PCMPGTL X6, X0 \
	MOVO X1, X2 \
	POR X0, X2 \
	PANDN X1, X0 \
	MOVOU X2, OFF(DI) \
	MOVOU X0, OFF(DI)(DX*1)

// func rawKeyColumnAsm(src *float32, ng int, dst *uint32, gstride, hiOff int)
TEXT ·rawKeyColumnAsm(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ ng+8(FP), CX
	MOVQ dst+16(FP), DI
	MOVQ gstride+24(FP), BX
	MOVQ hiOff+32(FP), DX
	MOVL $0x80000000, AX
	MOVQ AX, X4
	PSHUFD $0, X4, X4
	MOVL $0x7fffffff, AX
	MOVQ AX, X5
	PSHUFD $0, X5, X5
	MOVL $0x7f800000, AX
	MOVQ AX, X6
	PSHUFD $0, X6, X6
	TESTQ CX, CX
	JZ kdone
kloop:
	KEYS4(0)
	KEYS4(16)
	ADDQ $32, SI
	ADDQ BX, DI
	DECQ CX
	JNZ kloop
kdone:
	RET
