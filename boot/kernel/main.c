/*
 * main.c - kernel bring-up shared by every entry: console, exception entry,
 * memory, ACPI, PCI, interrupt controllers, clock; then the shell's
 * app_main with the command line, then power off with its status.  The
 * architecture's parts are reached through the hooks of irq.h, serial.h and
 * clock.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/boot.h"
#include "kernel/clock.h"
#include "kernel/fwcfg.h"
#include "kernel/newlib_heap.h"
#include "kernel/irq.h"
#include "kernel/pages.h"
#include "kernel/pci.h"
#include "kernel/serial.h"

#define HEAP_BYTES (32u << 20)

static struct boot_info *the_boot_info;

const struct boot_info *kernel_boot_info(void)
{
	return the_boot_info;
}

/* Replaced by boot/shell/shell.c when it is linked. */
__attribute__((weak)) int app_main(const char *cmdline)
{
	(void)cmdline;
	printf("no shell linked\n");
	return 1;
}

/* Room on the heap for `len` bytes of command line and its NUL (set); a
 * command line that does not fit ends the run (status 35) rather than run
 * cut. */
static char *cmdline_buffer(long len, const char *where)
{
	char *s = malloc((size_t)len + 1);
	if (!s) {
		printf("vscsi: the command line in %s is %ld bytes, more than memory holds: "
		       "nothing was run\n", where, len);
		kpoweroff(1);
	}
	s[len] = 0;
	return s;
}

/*
 * The shell's script: what the entry handed over, else the fw_cfg file
 * opt/vscsi/cmdline (UEFI boots from a disk pass no LoadOptions), else
 * QEMU's own copy of -append (a PVH entry whose start info was damaged).
 * fw_cfg sizes come from the device: the copy is allocated to fit, the
 * string ends at the first NUL.
 */
static const char *pick_cmdline(const struct boot_info *bi)
{
	if (bi->cmdline && bi->cmdline[0])
		return bi->cmdline;
	long n = fwcfg_file_size("opt/vscsi/cmdline");
	if (n > 0) {
		char *s = cmdline_buffer(n, "fw_cfg opt/vscsi/cmdline");
		if (fwcfg_read_file("opt/vscsi/cmdline", s, (size_t)n) != n)
			s[0] = 0;
		return s;
	}
	n = fwcfg_cmdline_length();
	if (n > 0) {
		char *s = cmdline_buffer(n, "fw_cfg (QEMU's -append)");
		fwcfg_read_cmdline(s, (size_t)n);
		return s;
	}
	return "";
}

void kernel_main(struct boot_info *bi)
{
	the_boot_info = bi;
	serial_init();
	serial_puts(bi->uefi ? "vscsi test kernel (uefi)\n" : "vscsi test kernel (bios)\n");
	if (bi->notice)
		kprintf("%s\n", bi->notice);
	arch_traps_init();
	pages_init(bi);
	heap_init(HEAP_BYTES);
	acpi_init(bi->rsdp);
	pci_init();
	arch_irq_init();
	clock_init();
	irq_enable();
	const char *cmdline = pick_cmdline(bi);
	int st = app_main(cmdline);
	kpoweroff(st);
}
