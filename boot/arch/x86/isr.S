/*
 * isr.S - one 16-byte stub per vector (0-255) and the common path.
 *
 * Each stub pushes a dummy error code where the CPU pushes none, then the
 * vector, so every frame looks alike (struct isr_frame in idt.c).  The
 * common path saves the general registers and the SSE/x87 state (fxsave):
 * gcc and newlib use SSE registers in ordinary code, so an interrupted
 * printf must find them unchanged.  Position independent: the same object
 * links into the PVH kernel and the EFI application.
 */
	.text
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	/* Vectors with a CPU error code: 8, 10-14, 17, 21, 29, 30. */
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

	.balign 16
isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %r12                /* the frame; r12 survives the call */
	subq $512, %rsp
	andq $-16, %rsp                /* fxsave area and the ABI's alignment */
	fxsave (%rsp)
	cld
	movq %r12, %rdi
	call isr_dispatch@PLT
	fxrstor (%rsp)
	movq %r12, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp                 /* vector, error code */
	iretq

	.section .note.GNU-stack, "", @progbits
