/*
 * boot/efi/efi_main.c - the GNU-EFI entry of the test kernel.
 *
 * Collects what the kernel core needs from the firmware (ACPI RSDP, command
 * line, usable RAM), leaves boot services and calls kernel_main() with
 * uefi=true.  The kernel then keeps running on OVMF's identity-mapped page
 * tables, GDT and on this stack, all of which live in memory types we do not
 * report as usable (see efi_memmap.c).
 *
 * gnu-efi's crt0 calls efi_main() with the SysV ABI after relocating the
 * image; firmware services are called directly, declared ms_abi by
 * GNU_EFI_USE_MS_ABI (gnu-efi 3.0.15 then makes EFIAPI
 * __attribute__((ms_abi)), and a direct BS->X(...) call uses the firmware's
 * convention).  We use no libefi helper (InitializeLib, Print) so that
 * nothing but the firmware tables is touched.
 */
#include <efi.h>
#include <stdio.h>
#include <string.h>

#include "efi_boot.h"
#include "kernel/boot.h"
#include "kernel/irq.h"
#include "kernel/power.h"
#include "kernel/serial.h"

/* In the image (EfiLoaderData): stays valid after ExitBootServices. */
static struct boot_info boot_info;

/* The map is re-read inside the ExitBootServices loop, where allocating is no
 * longer allowed: leave room for this many extra descriptors. */
#define MAP_SLACK_DESCRIPTORS 32
#define EBS_ATTEMPTS 16

/* Firmware console (only before ExitBootServices). */
static void con_puts(EFI_SYSTEM_TABLE *st, const char *s)
{
	CHAR16 buf[128];
	unsigned n = 0;

	if (!st->ConOut)
		return;
	for (;; s++) {
		if (*s == '\n' && n < 127)
			buf[n++] = L'\r';
		if (*s)
			buf[n++] = (CHAR16)(unsigned char)*s;
		if (!*s || n >= 126) {
			buf[n] = 0;
			st->ConOut->OutputString(st->ConOut, buf);
			n = 0;
		}
		if (!*s)
			break;
	}
}

/*
 * Boot cannot go on: say why and leave QEMU with the panic status.  `st` is
 * NULL once ExitBootServices has been tried (the firmware console is gone);
 * the serial port, as OVMF left it (115200 8N1), works before and after.
 */
static void __attribute__((noreturn)) efi_fail(EFI_SYSTEM_TABLE *st,
					       const char *what, EFI_STATUS s)
{
	char line[128];

	snprintf(line, sizeof(line), "vscsi: efi: %s failed (status 0x%llx)\n",
		 what, (unsigned long long)s);
	if (st)
		con_puts(st, line);
	else
		serial_puts(line);
	arch_report_outcome(RUN_PANICKED);
	arch_halt();
}

static bool guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * ACPI 6.5 §5.2.5.2 / UEFI 2.10 §4.6: the RSDP is published in the
 * configuration table, the 2.0+ one (with XSDT) under ACPI_20_TABLE_GUID and
 * possibly a 1.0 copy under ACPI_TABLE_GUID.  Prefer 2.0.  0 = not found (the
 * kernel core then scans for it).
 */
static uint64_t find_rsdp(EFI_SYSTEM_TABLE *st)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	static EFI_GUID acpi10 = ACPI_TABLE_GUID;
	uint64_t v1 = 0;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		const EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		const void *tab = t->VendorTable;

		if (!tab || memcmp(tab, "RSD PTR ", 8) != 0)
			continue;
		if (guid_equal(&t->VendorGuid, &acpi20))
			return (uint64_t)(uintptr_t)tab;
		if (guid_equal(&t->VendorGuid, &acpi10) && !v1)
			v1 = (uint64_t)(uintptr_t)tab;
	}
	return v1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Case-insensitive "does the word [w, w+n) end in .efi". */
static bool word_is_efi_path(const char *w, size_t n)
{
	static const char ext[] = ".efi";

	if (n < 4)
		return false;
	for (size_t k = 0; k < 4; k++) {
		char c = w[n - 4 + k];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != ext[k])
			return false;
	}
	return true;
}

/*
 * The command line from LoadedImage->LoadOptions (UCS-2), as ASCII in pool
 * memory (EfiLoaderData, so it survives EBS).  OVMF's `-kernel X.EFI -append
 * S` passes exactly S.  The UEFI shell passes the whole command it ran,
 * program path first: a first word ending in ".efi" is dropped.  Boot####
 * entries may carry binary optional data: anything with control characters
 * is not a command line.  NULL when there is none, so that the kernel core
 * falls back to fw_cfg `opt/vscsi/cmdline`.
 */
static const char *get_cmdline(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = NULL;
	EFI_STATUS s;

	s = st->BootServices->HandleProtocol(image, &loaded_image_guid, (void **)&li);
	if (EFI_ERROR(s) || !li || !li->LoadOptions || li->LoadOptionsSize < 2)
		return NULL;
	if (li->LoadOptionsSize % 2)
		return NULL;

	const CHAR16 *w = li->LoadOptions;
	size_t n = li->LoadOptionsSize / 2, len = 0;

	while (len < n && w[len])
		len++;
	for (size_t k = 0; k < len; k++)
		if (w[k] < 0x20 && w[k] != '\t' && w[k] != '\n' && w[k] != '\r')
			return NULL;

	char *a = NULL;
	s = st->BootServices->AllocatePool(EfiLoaderData, len + 1, (void **)&a);
	if (EFI_ERROR(s) || !a)
		return NULL;
	for (size_t k = 0; k < len; k++)
		a[k] = w[k] < 0x7F ? (char)w[k] : '?';
	a[len] = 0;

	/* Trim, and drop a leading program path. */
	char *b = a, *e = a + len;
	while (b < e && is_space(*b))
		b++;
	char *w_end = b;
	while (w_end < e && !is_space(*w_end))
		w_end++;
	if (word_is_efi_path(b, (size_t)(w_end - b)))
		for (b = w_end; b < e && is_space(*b); b++)
			;
	while (e > b && is_space(e[-1]))
		*--e = 0;
	if (b == e) {
		st->BootServices->FreePool(a);
		return NULL;
	}
	return b;
}

/*
 * UEFI 2.10 §7.4.6 (ExitBootServices): the call must carry the MapKey of the
 * current memory map; if the map changed in between it fails with
 * EFI_INVALID_PARAMETER and the loader must re-read the map and try again.
 * After the first attempt only GetMemoryMap and ExitBootServices may be
 * called, so the buffer is allocated once, with slack, beforehand.
 */
static void exit_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st,
			       struct boot_info *bi)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	UINTN map_size = 0, key = 0, desc_size = 0, buf_size;
	UINT32 desc_version = 0;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	EFI_STATUS s;

	/* Probe with size 0 for the size the map needs now. */
	s = bs->GetMemoryMap(&map_size, NULL, &key, &desc_size, &desc_version);
	if (s != EFI_BUFFER_TOO_SMALL)
		efi_fail(st, "GetMemoryMap (size probe)", s);
	if (desc_size < sizeof(EFI_MEMORY_DESCRIPTOR))
		efi_fail(st, "GetMemoryMap (descriptor size)", EFI_UNSUPPORTED);

	for (;;) {
		buf_size = map_size + MAP_SLACK_DESCRIPTORS * desc_size;
		s = bs->AllocatePool(EfiLoaderData, buf_size, (void **)&map);
		if (EFI_ERROR(s))
			efi_fail(st, "AllocatePool (memory map)", s);
		map_size = buf_size;
		s = bs->GetMemoryMap(&map_size, map, &key, &desc_size, &desc_version);
		if (s != EFI_BUFFER_TOO_SMALL)
			break;
		/* Grew past the slack before EBS was tried: allocate again. */
		bs->FreePool(map);
	}
	if (EFI_ERROR(s))
		efi_fail(st, "GetMemoryMap", s);

	for (unsigned attempt = 1;; attempt++) {
		s = bs->ExitBootServices(image, key);
		if (s == EFI_SUCCESS)
			break;
		if (s != EFI_INVALID_PARAMETER || attempt == EBS_ATTEMPTS)
			efi_fail(NULL, "ExitBootServices", s);
		map_size = buf_size;
		s = bs->GetMemoryMap(&map_size, map, &key, &desc_size, &desc_version);
		if (EFI_ERROR(s))
			efi_fail(NULL, "GetMemoryMap (after ExitBootServices)", s);
	}

	/* Boot services are gone: from here on, no firmware call but runtime. */
	uint64_t dropped = 0;
	bi->n_mem = efi_usable_ranges(map, map_size, desc_size, bi->mem,
				      sizeof(bi->mem) / sizeof(bi->mem[0]),
				      &dropped);
	if (dropped) {
		char line[96];
		snprintf(line, sizeof(line),
			 "vscsi: efi: memory map too fragmented, %llu KiB unused\n",
			 (unsigned long long)(dropped >> 10));
		serial_puts(line);
	}
	if (bi->n_mem == 0)
		efi_fail(NULL, "finding usable RAM in the memory map", EFI_NOT_FOUND);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct boot_info *bi = &boot_info;
	char line[128];

	snprintf(line, sizeof(line), "vscsi: UEFI entry (efi_main at %p)\n",
		 (void *)efi_main);
	con_puts(st, line);

	bi->uefi = true;
	bi->rsdp = find_rsdp(st);
	bi->cmdline = get_cmdline(image, st);
	if (bi->cmdline)
		con_puts(st, "vscsi: command line from LoadOptions\n");

	exit_boot_services(image, st, bi);

	/*
	 * OVMF's DXE core masks interrupts on ExitBootServices; make sure, since
	 * the firmware's IDT stays loaded until the kernel core installs its own.
	 */
	irq_disable();
	kernel_main(bi);
}
