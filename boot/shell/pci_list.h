/* pci_list.h - `lspci -n`-style listing of the PCI functions, for the shell. */
#ifndef VSCSI_BOOT_SHELL_PCI_LIST_H
#define VSCSI_BOOT_SHELL_PCI_LIST_H

#include <stdint.h>

/* Short English name of a class ("SCSI storage controller"). */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);
/* One line per function, like `lspci -n` plus the class name:
 * "00:03.0 0100: 1af4:1004 (rev 00) SCSI storage controller" */
void pci_print_list(void);

#endif
