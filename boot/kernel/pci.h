/*
 * pci.h - PCI functions of segment 0 as the kernel found them: enumerated
 * behind every bridge, BARs sized (and assigned when the firmware left them
 * unassigned), configuration space reachable by ECAM or by the
 * architecture's own mechanism (kernel/pci_config.h).
 */
#ifndef VSCSI_BOOT_KERNEL_PCI_H
#define VSCSI_BOOT_KERNEL_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_FUNCS 256

struct pci_bar {
	uint64_t addr;     /* 0 = unassigned / absent */
	uint64_t size;     /* 0 = absent */
	bool io, is64, prefetch;
};

struct pci_func {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if, revision;
	uint16_t subsys_vendor, subsys_id;
	uint8_t header_type;     /* without the multi-function bit */
	uint8_t irq_line, irq_pin;
	struct pci_bar bar[6];   /* a 64-bit BAR occupies i; bar[i+1] is empty */
};

void pci_init(void);      /* find configuration access, enumerate, assign BARs */
bool pci_present(void);
unsigned pci_count(void);
const struct pci_func *pci_get(unsigned i);
/* nth (from 0) function with this vendor/device; 0xFFFF matches any. */
const struct pci_func *pci_find(uint16_t vendor, uint16_t device, unsigned nth);
const struct pci_func *pci_lookup(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn);
/* width 1, 2 or 4; an unreachable or misaligned access reads all-ones. */
uint32_t pci_cfg_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		      uint16_t off, unsigned width);
void pci_cfg_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		   uint16_t off, unsigned width, uint32_t v);
/* Set the memory / I/O decoding and bus-master bits that are requested
 * (bits not requested are left as they are). */
void pci_enable(const struct pci_func *f, bool mem, bool io, bool master);

#endif
