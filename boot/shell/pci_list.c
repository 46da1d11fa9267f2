/* pci_list.c - class names and the `lspci -n`-style listing for the shell. */
#include <stdio.h>

#include "kernel/pci.h"
#include "shell/pci_list.h"

struct class_name { uint8_t cls, sub; const char *name; };

/* 0xFF as subclass: any subclass of that class. */
static const struct class_name names[] = {
	{ 0x00, 0xFF, "Unclassified device" },
	{ 0x01, 0x00, "SCSI storage controller" },
	{ 0x01, 0x01, "IDE interface" },
	{ 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x07, "Serial Attached SCSI controller" },
	{ 0x01, 0x08, "Non-Volatile memory controller" },
	{ 0x01, 0xFF, "Mass storage controller" },
	{ 0x02, 0x00, "Ethernet controller" },
	{ 0x02, 0xFF, "Network controller" },
	{ 0x03, 0x00, "VGA compatible controller" },
	{ 0x03, 0xFF, "Display controller" },
	{ 0x04, 0xFF, "Multimedia controller" },
	{ 0x05, 0xFF, "Memory controller" },
	{ 0x06, 0x00, "Host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x80, "Bridge" },
	{ 0x06, 0xFF, "Bridge" },
	{ 0x07, 0x00, "Serial controller" },
	{ 0x07, 0xFF, "Communication controller" },
	{ 0x08, 0xFF, "System peripheral" },
	{ 0x0C, 0x03, "USB controller" },
	{ 0x0C, 0x05, "SMBus" },
	{ 0x0C, 0xFF, "Serial bus controller" },
	{ 0xFF, 0xFF, "Unassigned class" },
};

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].cls == class_code && (names[i].sub == subclass || names[i].sub == 0xFF))
			return names[i].name;
	return "Device";
}

void pci_print_list(void)
{
	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_func *f = pci_get(i);
		if (f->segment)
			printf("%04x:", f->segment);
		printf("%02x:%02x.%x %02x%02x: %04x:%04x (rev %02x) %s\n", f->bus, f->dev, f->fn,
		       f->class_code, f->subclass, f->vendor, f->device, f->revision,
		       pci_class_name(f->class_code, f->subclass));
	}
}
