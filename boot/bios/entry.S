/*
 * entry.S - PVH entry for `qemu -kernel build/vscsi.elf` (SeaBIOS, qboot).
 *
 * QEMU finds the 32-bit entry through the PVH ELF note (Xen ELF note type
 * 18, XEN_ELFNOTE_PHYS32_ENTRY) and jumps there in 32-bit protected mode,
 * paging off, CR4 = 0, no stack, %ebx = struct hvm_start_info.  We zero
 * .bss, identity-map 0-64 GiB with 2 MiB pages, enable SSE (gcc and newlib
 * use it freely), switch to long mode and call pvh_main(start_info).
 */

#define PD_COUNT 64                    /* 64 page directories = 64 GiB */

/* The note must stay 4-aligned: with 8, the PT_NOTE header gets p_align 8
 * and QEMU 7.2 computes the descriptor's offset wrongly, jumps to garbage
 * and the guest triple-faults without a word. */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4                        /* namesz */
	.long 4                        /* descsz */
	.long 18                       /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start32

	.section .boot.text, "ax", @progbits
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, %esi                /* hvm_start_info, kept in %esi */
	movl $boot_stack_top, %esp

	/* Zero .bss (page tables and the stack live there). */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	/* PML4[0] -> PDPT */
	movl $boot_pdpt, %eax
	orl $0x3, %eax
	movl %eax, boot_pml4

	/* PDPT[i] -> PD i, i < 64 */
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $boot_pd, %eax
	orl $0x3, %eax
	movl %eax, boot_pdpt(,%ecx,8)
	incl %ecx
	cmpl $PD_COUNT, %ecx
	jne 1b

	/* PD entry j maps j * 2 MiB: present, writable, PS.  3-4 GiB (the
	 * PCI hole, LAPIC, IOAPIC) is cache-disabled. */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	cmpl $1536, %ecx
	jb 3f
	cmpl $2048, %ecx
	jae 3f
	orl $0x18, %eax                /* PWT | PCD */
3:	movl %eax, boot_pd(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, boot_pd+4(,%ecx,8)
	incl %ecx
	cmpl $(PD_COUNT * 512), %ecx
	jne 2b

	/* CR4: PAE | OSFXSR | OSXMMEXCPT (SSE must work before any C code). */
	movl $0x620, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	/* EFER.LME */
	movl $0xC0000080, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	/* CR0: PG | NE | MP | PE, EM cleared. */
	movl %cr0, %eax
	andl $~0x4, %eax
	orl $0x80000023, %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	leaq boot_stack_top(%rip), %rsp   /* 16-byte aligned before the call */
	xorl %ebp, %ebp
	fninit
	movl %esi, %edi
	call pvh_main
4:	cli
	hlt
	jmp 4b

	.section .rodata
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF        /* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF        /* 0x10: data */
boot_gdt_end:
	.balign 4
	.word 0
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .bss
	.balign 4096
	.globl boot_pml4, boot_stack_top
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4096 * PD_COUNT
	.balign 16
boot_stack:
	.skip 262144                   /* 256 KiB */
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
