/* cpu.h - what spin loops ask of the CPU, implemented per architecture. */
#ifndef VSCSI_BOOT_KERNEL_CPU_H
#define VSCSI_BOOT_KERNEL_CPU_H

/* A hint inside a busy-wait loop (x86: PAUSE). */
void cpu_relax(void);

#endif
