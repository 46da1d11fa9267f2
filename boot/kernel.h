/*
 * kernel.h - the test kernel's services, shared by the two entries
 * (boot/bios, boot/efi), the kernel core (the .c files in boot/) and the shell.
 *
 * The kernel runs on one CPU with virtual == physical addresses:
 * the BIOS entry identity-maps 0-64 GiB, OVMF's map covers everything.
 */
#ifndef VSCSI_BOOT_KERNEL_H
#define VSCSI_BOOT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- entry contract (docs/kernel-contract.md) ------------------------ */
struct boot_memrange { uint64_t base, len; };     /* usable RAM */
struct boot_info {
	const char *cmdline;     /* script for the shell; NULL or "" = interactive */
	uint64_t rsdp;           /* physical address of the ACPI RSDP, 0 = scan for it */
	unsigned n_mem;
	struct boot_memrange mem[128];
	bool uefi;               /* entered from boot/efi: keep firmware page tables/GDT */
};
void kernel_main(struct boot_info *bi) __attribute__((noreturn));
/* Provided by the shell (boot/shell.c); returns an exit status (0 = all ok).
 * kernel_main calls it after bring-up and then powers off with its status. */
int app_main(const char *cmdline);
/* fflush stdio, then isa-debug-exit: 0 -> QEMU exit 33, else 35; then ACPI S5. */
void kpoweroff(int status) __attribute__((noreturn));
/* Print "PANIC: ..." to the serial port and exit QEMU with status 37. */
void kpanic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The boot_info kernel_main was entered with (valid after entry). */
const struct boot_info *kernel_boot_info(void);
/* Remove [base, base+len) from the usable RAM list (entries call this for
 * their own image, page tables and stack before kernel_main). */
void boot_mem_exclude(struct boot_info *bi, uint64_t base, uint64_t len);

/* ---- serial console (COM1, 115200 8N1) ------------------------------- */
void serial_init(void);
void serial_putc(char c);                 /* "\n" is sent as "\r\n" */
void serial_write(const char *s, size_t n);
void serial_puts(const char *s);
int serial_getc(void);                    /* -1 when nothing is waiting */
/* Minimal printf straight to the port: safe in interrupt and exception
 * context and before the heap exists (%s %c %d %u %x %lx %llx %p %%). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- physical pages (4 KiB, zeroed, contiguous, virt == phys) -------- */
void pages_init(const struct boot_info *bi);
void *page_alloc(size_t npages);                      /* NULL when out */
void *page_alloc_aligned(size_t npages, size_t align);/* align: power of 2 >= 4096 */
void page_free(void *p, size_t npages);
uint64_t pages_free_bytes(void);

/* ---- ACPI -------------------------------------------------------------- */
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS 24
struct acpi_ioapic { uint8_t id; uint32_t addr; uint32_t gsi_base; };
struct acpi_iso { uint8_t source; uint32_t gsi; uint16_t flags; }; /* MPS INTI flags */
struct acpi_info {
	bool found;
	uint64_t rsdp;
	uint64_t ecam_base;             /* 0 = no MCFG */
	uint16_t ecam_segment;
	uint8_t ecam_bus_start, ecam_bus_end;
	uint32_t lapic_addr;
	unsigned n_ioapics;
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	unsigned n_isos;
	struct acpi_iso iso[ACPI_MAX_ISOS];
	uint16_t sci_irq;
	uint32_t pm1a_cnt;              /* I/O port, 0 = none */
	bool hw_reduced;
	uint64_t sleep_ctl;             /* hardware-reduced sleep control register */
	bool sleep_ctl_io;              /* ... in I/O space (else memory) */
	bool s5_valid;
	uint8_t s5_slp_typ;             /* \_S5 package, first element */
};
void acpi_init(uint64_t rsdp_hint);
const struct acpi_info *acpi(void);
/* Find a table by signature (nth match, from 0); NULL when absent. */
const void *acpi_find_table(const char sig[4], unsigned nth);
void acpi_poweroff(void);                 /* returns if it did not work */

/* ---- PCI --------------------------------------------------------------- */
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
void pci_init(void);      /* detect config access, enumerate, assign BARs */
bool pci_present(void);
unsigned pci_count(void);
const struct pci_func *pci_get(unsigned i);
/* nth (from 0) function with this vendor/device; 0xFFFF matches any. */
const struct pci_func *pci_find(uint16_t vendor, uint16_t device, unsigned nth);
const struct pci_func *pci_lookup(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn);
uint32_t pci_cfg_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		      uint16_t off, unsigned width);
void pci_cfg_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		   uint16_t off, unsigned width, uint32_t v);
/* Set the memory / I/O decoding and bus-master bits that are requested
 * (bits not requested are left as they are). */
void pci_enable(const struct pci_func *f, bool mem, bool io, bool master);
/* Short English name of a class ("SCSI storage controller"). */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);
/* One line per function, like `lspci -n` plus the class name:
 * "00:03.0 0100: 1af4:1004 (rev 00) SCSI storage controller" */
void pci_print_list(void);

/* ---- virtio-mmio (microvm) ---------------------------------------------- */
struct mmio_dev { uint64_t base; uint32_t size; uint32_t gsi; uint32_t device_id, version; };
/* Scan the microvm virtio-mmio window for transports with a device behind
 * them (device id != 0).  Fills up to max entries, returns how many. */
unsigned mmio_scan_virtio(struct mmio_dev *out, unsigned max);

/* ---- interrupts -------------------------------------------------------- */
struct isr_frame {       /* what boot/isr.S pushes, lowest address first */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
void idt_init(void);
void apic_init(void);
/* Register a C handler for a vector (32-255); returns 0 or -1 if full.
 * Several handlers may share a vector (they are all called). */
int irq_set_handler(unsigned vector, void (*h)(void *), void *arg);
void irq_remove_handler(unsigned vector, void (*h)(void *), void *arg);
int irq_alloc_vector(void);            /* a free vector, or -1 */
bool irq_vector_has_handlers(unsigned vector);
/* MSI for the boot CPU: allocates a vector, installs h, returns the vector
 * (>= 0) and the message to program, or -1. */
int irq_msi_alloc(void (*h)(void *), void *arg, uint64_t *addr, uint32_t *data);
/* Route a GSI through the IOAPIC to a (shared per GSI) vector, unmask it.
 * Returns the vector, or -1. */
int irq_attach_gsi(uint32_t gsi, bool level, bool active_low, void (*h)(void *), void *arg);
/* Line interrupt of a PCI function: i440fx -> the interrupt-line register
 * names the ISA IRQ; q35 -> every INTx handler runs on GSIs 16-23.
 * pci_init sets Interrupt Disable in every function's command register;
 * this clears it for f, so only attached functions can assert INTx. */
int irq_attach_pci_intx(const struct pci_func *f, void (*h)(void *), void *arg);
void irq_detach(void (*h)(void *), void *arg);  /* removes h/arg everywhere */
/* Map an ISA IRQ to its GSI and flags through the MADT overrides. */
uint32_t irq_isa_to_gsi(uint8_t irq, bool *level, bool *active_low);
void lapic_eoi(void);
uint32_t lapic_id(void);
/* One-shot LAPIC timer: h(arg) runs once after `us` microseconds. */
int timer_oneshot_us(uint32_t us, void (*h)(void *), void *arg);

static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline uint64_t irq_save(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) :: "memory");
	return f;
}
static inline void irq_restore(uint64_t flags)
{
	if (flags & 0x200)
		__asm__ volatile("sti" ::: "memory");
}

/* ---- time -------------------------------------------------------------- */
void clock_init(void);                 /* TSC against PIT channel 2 */
uint64_t clock_ns(void);               /* since clock_init */
void delay_us(uint32_t us);
uint64_t clock_tsc_hz(void);

/* ---- fw_cfg -------------------------------------------------------------- */
/* Read a fw_cfg file by name into buf (at most len bytes).  Returns the
 * file's full size, or -1 if fw_cfg or the file is absent. */
long fwcfg_read_file(const char *name, void *buf, size_t len);

/* ---- driver glue ----------------------------------------------------------- */
struct vscsi_glue;
const struct vscsi_glue *kernel_glue(void);
void kernel_glue_set_log_level(int level);   /* default 2 (info) */

/* ---- heap for newlib (boot/syscalls.c) --------------------------------- */
void heap_init(size_t bytes);

#endif
