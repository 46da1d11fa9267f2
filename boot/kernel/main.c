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
static char fwcfg_cmdline[4096];

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

static const char *pick_cmdline(const struct boot_info *bi)
{
	if (bi->cmdline && bi->cmdline[0])
		return bi->cmdline;
	long n = fwcfg_read_file("opt/vscsi/cmdline", fwcfg_cmdline, sizeof fwcfg_cmdline - 1);
	if (n > 0) {
		fwcfg_cmdline[(size_t)n < sizeof fwcfg_cmdline ? (size_t)n : sizeof fwcfg_cmdline - 1] = 0;
		return fwcfg_cmdline;
	}
	return "";
}

void kernel_main(struct boot_info *bi)
{
	the_boot_info = bi;
	serial_init();
	serial_puts(bi->uefi ? "vscsi test kernel (uefi)\n" : "vscsi test kernel (bios)\n");
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
