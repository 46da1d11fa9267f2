/*
 * boot.h - the entry contract of the test kernel: what an entry hands the
 * kernel core, and how a run ends.
 *
 * Two entries exist today, both x86-64: boot/bios/ (QEMU's `-kernel` loader
 * jumps to a PVH ELF note's 32-bit entry; it builds page tables, enters long
 * mode and calls kernel_main) and boot/efi/ (a GNU-EFI application under
 * OVMF: it collects the memory map, the RSDP and the command line, leaves boot
 * services and calls kernel_main with uefi = true).  Each entry fills a
 * struct boot_info, removes its own image, page tables and stack from the RAM
 * list with boot_mem_exclude(), and calls kernel_main(), which never returns.
 *
 * On entry to kernel_main: 64-bit mode, interrupts off, SSE usable (newlib
 * and gcc use it in ordinary code), a 16-byte aligned stack, and virtual ==
 * physical addresses for all RAM and MMIO below boot_info.mapped_end.
 *
 * The command line is the shell's script, of any length: `-append` with the
 * PVH entry, or UEFI LoadOptions; when the entry has none, kernel_main reads
 * the fw_cfg file `opt/vscsi/cmdline` (QEMU `-fw_cfg
 * name=opt/vscsi/cmdline,string=...` or `file=...`), and failing that
 * QEMU's own fw_cfg copy of `-append` (the PVH entry leaves the command line
 * to it when the loader's start info is damaged).  It is used whole: where
 * the entry found it, or copied from fw_cfg to the heap (a command line the
 * heap cannot hold ends the run with status 35, QEMU).  An empty command
 * line starts the interactive shell.
 *
 * Exit statuses: QEMU's isa-debug-exit device turns the value v written to
 * it into the exit status (v << 1) | 1, so kpoweroff(0) ends QEMU with 33,
 * kpoweroff(non-zero) with 35, and kpanic() or a CPU exception with 37.
 * Without that device the run ends through ACPI S5 (power off).
 *
 * The kernel runs on one CPU.  Its services each have a header in this
 * folder (pages.h, newlib_heap.h, acpi.h, pci.h, pci_config.h, irq.h,
 * clock.h, serial.h, fwcfg.h, power.h, pio.h, mmio.h, cpu.h,
 * byteorder.h).  A service implemented wholly by the architecture keeps
 * its service name (clock_ns, irq_attach_gsi ...); a hook that a file of
 * this folder calls for its architecture-specific part is named arch_*.
 * Both live in boot/arch/$(ARCH)/ (x86 today).
 */
#ifndef VSCSI_BOOT_KERNEL_BOOT_H
#define VSCSI_BOOT_KERNEL_BOOT_H

#include <stdbool.h>
#include <stdint.h>

struct boot_memrange { uint64_t base, len; };     /* usable RAM */

struct boot_info {
	const char *cmdline;     /* script for the shell, NUL-terminated, any length, in
				    memory the entry keeps out of the RAM list; NULL or
				    "" = none (kernel_main then asks fw_cfg) */
	const char *notice;      /* a line for the console once it is up, or NULL */
	uint64_t rsdp;           /* physical address of the ACPI RSDP, 0 = scan for it */
	unsigned n_mem;
	struct boot_memrange mem[128];
	bool uefi;               /* entered from boot/efi (firmware page tables and GDT kept) */
	uint64_t mapped_end;     /* end of the entry's identity map; 0 = all of it is mapped */
};

void kernel_main(struct boot_info *bi) __attribute__((noreturn));

/* Provided by the shell (boot/shell/shell.c); returns an exit status (0 = all
 * ok).  kernel_main calls it after bring-up and then powers off with it. */
int app_main(const char *cmdline);

/* Flush stdio, then end the run: QEMU exits 33 for status 0, else 35. */
void kpoweroff(int status) __attribute__((noreturn));
/* Print "PANIC: ..." straight to the serial port and end the run (QEMU 37). */
void kpanic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The boot_info kernel_main was entered with (valid after entry). */
const struct boot_info *kernel_boot_info(void);
/* Remove [base, base+len) from the usable RAM list (entries call this for
 * their own image, page tables and stack before kernel_main). */
void boot_mem_exclude(struct boot_info *bi, uint64_t base, uint64_t len);

#endif
