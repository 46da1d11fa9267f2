# vscsi - a freestanding virtio-scsi guest driver and its QEMU test kernel.
#
#   make            build the kernel (BIOS and UEFI) and the host unit tests
#   make run        boot the demo configuration to the shell   (UEFI=1: via OVMF)
#   make check      host unit tests + QEMU tests (pytest)
#   make bench      IOPS and latency against the device ceiling
#
# Sources are found by wildcard: drv/*/*.c is the driver library.  The test
# kernel's parts, shared by both entries: boot/kernel/ (the arch-neutral
# core), boot/arch/$(ARCH)/ (what is specific to the architecture),
# boot/host/ (the driver's host: glue and bring-up), boot/fs/ (newlib's
# system calls and the device files) and boot/shell/; the entries are
# boot/bios/ (PVH, for `qemu -kernel`) and boot/efi/ (GNU-EFI).  Code under
# boot/ includes by folder: "kernel/pci.h", "shell/args.h".

B          := build
ARCH       ?= x86
NEWLIB_VER := 3.3.0
NEWLIB     := $(B)/newlib-$(NEWLIB_VER)
LIBC       := $(NEWLIB)/x86_64-elf/lib/libc.a
PYTHON     := /usr/bin/python3
CC         := gcc
LD         := ld
GCC_INC    := $(shell $(CC) -print-file-name=include)
DEPS_OK    := $(B)/.deps-ok

WARN      := -Wall -Wextra -Werror
# One object set serves both entries: -fpic code links statically into the
# PVH ELF and into the EFI shared object alike (newlib is built -fPIC for
# the same reason: non-PIC code cannot go into the shared object).
KFLAGS    := -O2 -g -ffreestanding -fno-stack-protector -fno-stack-check -mno-red-zone \
             -fpic -fno-omit-frame-pointer -fno-strict-aliasing -MMD -MP
DRV_CFLAGS  := -std=c11 $(WARN) $(KFLAGS) -nostdinc -isystem $(GCC_INC) -Iinclude -Idrv
BOOT_CFLAGS := -std=gnu11 $(WARN) $(KFLAGS) -isystem $(NEWLIB)/x86_64-elf/include -Iinclude -Iboot
EFI_CFLAGS  := $(BOOT_CFLAGS) -I/usr/include/efi -I/usr/include/efi/x86_64 -fshort-wchar \
               -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI -Wno-unused-parameter

DRV_SRCS  := $(sort $(wildcard drv/*/*.c))
CORE_DIRS := boot/kernel boot/arch/$(ARCH) boot/host boot/fs boot/shell
CORE_SRCS := $(sort $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c $(d)/*.S)))
BIOS_SRCS := $(sort $(wildcard boot/bios/*.c boot/bios/*.S))
EFI_SRCS  := $(sort $(wildcard boot/efi/*.c))

obj = $(patsubst %,$(B)/obj/%.o,$(1))
DRV_OBJS  := $(call obj,$(DRV_SRCS))
CORE_OBJS := $(call obj,$(CORE_SRCS))
BIOS_OBJS := $(call obj,$(BIOS_SRCS))
EFI_OBJS  := $(call obj,$(EFI_SRCS))

KERNEL := $(B)/vscsi.elf
EFIAPP := $(B)/esp/EFI/BOOT/BOOTX64.EFI
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# Host unit tests: the same drv/ sources built for Linux with sanitizers.
HOST_CFLAGS := -std=c11 -O1 -g $(WARN) -Iinclude -Idrv -Itests/unit \
               -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SUPPORT := $(sort $(wildcard tests/unit/sim/*.c tests/unit/support/*.c))
UNIT_TESTS   := $(patsubst tests/unit/%.c,$(B)/unit/%,$(sort $(wildcard tests/unit/test_*.c)))

# Fuzzers (libFuzzer, clang): every parser of device-written data.
FUZZ_CFLAGS  := -std=c11 -g -O1 $(WARN) -Iinclude -Idrv -Itests/unit \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SECONDS ?= 60

.PHONY: all deps kernel efi unit fuzzers fuzz run check bench clean distclean
all: kernel efi unit

deps: $(DEPS_OK)
$(DEPS_OK): tools/deps.sh
	@mkdir -p $(B)
	@tools/deps.sh
	@touch $@

$(LIBC): | $(DEPS_OK)
	tools/build-newlib.sh $(NEWLIB)

kernel: $(KERNEL)
efi: $(EFIAPP)

$(B)/obj/drv/%.c.o: drv/%.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(DRV_CFLAGS) -c $< -o $@

$(B)/obj/boot/efi/%.c.o: boot/efi/%.c | $(LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(EFI_CFLAGS) -c $< -o $@

$(B)/obj/boot/%.c.o: boot/%.c | $(LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BOOT_CFLAGS) -c $< -o $@

$(B)/obj/boot/%.S.o: boot/%.S | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BOOT_CFLAGS) -c $< -o $@

$(KERNEL): $(BIOS_OBJS) $(CORE_OBJS) $(DRV_OBJS) $(LIBC) linker.ld
	@echo "  LD      $@"
	@$(LD) -T linker.ld -static -nostdlib --orphan-handling=error -z noexecstack \
	    --no-warn-rwx-segments -o $@ $(BIOS_OBJS) $(CORE_OBJS) $(DRV_OBJS) $(LIBC) $(LIBGCC)

# GNU-EFI: libefi before libc.  Both define memset and memcpy; with libc
# first the link fails on multiple definitions, with libefi first newlib's
# calls resolve to libefi's.
$(B)/vscsi-efi.so: $(EFI_OBJS) $(CORE_OBJS) $(DRV_OBJS) $(LIBC)
	@echo "  LD      $@"
	@$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack --no-undefined -T /usr/lib/elf_x86_64_efi.lds \
	    /usr/lib/crt0-efi-x86_64.o $(EFI_OBJS) $(CORE_OBJS) $(DRV_OBJS) \
	    -L/usr/lib -lefi -lgnuefi $(LIBC) $(LIBGCC) -o $@

$(EFIAPP): $(B)/vscsi-efi.so
	@mkdir -p $(dir $@)
	@echo "  OBJCOPY $@"
	@objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	    -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# --- host unit tests ------------------------------------------------------
unit: $(UNIT_TESTS)
$(B)/unit/%: tests/unit/%.c $(DRV_SRCS) $(UNIT_SUPPORT) $(wildcard tests/unit/*.h tests/unit/*/*.h drv/*/*.h include/vscsi/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(CC) $(HOST_CFLAGS) -o $@ $< $(DRV_SRCS) $(UNIT_SUPPORT) -lcmocka

fuzzers: $(FUZZ_TARGETS)
$(B)/fuzz/%: tests/fuzz/%.c $(DRV_SRCS) $(UNIT_SUPPORT) $(wildcard tests/unit/*/*.h drv/*/*.h include/vscsi/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@clang $(FUZZ_CFLAGS) -o $@ $< $(DRV_SRCS) $(UNIT_SUPPORT)

# Run every fuzzer for FUZZ_SECONDS, keeping its corpus in build/fuzz/.
fuzz: fuzzers
	@for f in $(FUZZ_TARGETS); do mkdir -p $$f.corpus; echo "== $$f ($(FUZZ_SECONDS) s)"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$f.corpus || exit 1; done

# --- running --------------------------------------------------------------
run: kernel efi
	$(PYTHON) tools/run.py $(if $(UEFI),--uefi) $(QEMU_ARGS)

check: all fuzzers
	$(PYTHON) -m pytest -q tests $(PYTEST_ARGS)

bench: kernel
	$(PYTHON) tools/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(B)/obj $(B)/unit $(B)/esp $(B)/*.elf $(B)/*.so $(B)/demo $(B)/t

distclean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
