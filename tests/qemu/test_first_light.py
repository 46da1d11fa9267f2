"""Issue #2, first light: on both boot paths the kernel finds the virtio-scsi
controller, brings it up and prints LUN 0's INQUIRY data and capacity.
Under UEFI a second variant gives the ESP no bootindex, so OVMF connects
every device and its own VirtioScsiDxe drives the controller first; our
driver must reset it and take over."""
import re

import pytest

import qemurun


def test_inquiry_and_capacity_at_boot(vm, boot, disk_image):
    check_first_light(vm, boot, disk_image)


@pytest.mark.uefi
def test_takeover_from_ovmf_virtio_scsi_driver(make_vm, disk_image):
    vm = make_vm("q35", uefi=True, esp_bootindex=False)
    check_first_light(vm, vm, disk_image)
    # OVMF tried to boot the virtio-scsi disk (SCSI vendor/product "QEMU
    # QEMU HARDDISK"): its driver really had the controller before us.
    assert re.search(r"BdsDxe: failed to load Boot\d+ \"UEFI QEMU QEMU HARDDISK", vm.output), vm.report()


def check_first_light(vm, boot, disk_image):
    image = disk_image("d0", 3 << 20, seed=2)      # 6144 blocks of 512 bytes
    devices = qemurun.controller("scsi0", boot.machine) + qemurun.disk(image)
    status, text = vm.run_script("lsscsi", devices)
    assert re.search(r"^scsi 0:0:0:0: Direct-Access\s+QEMU\s+QEMU HARDDISK\s+2\.5\+\s+PQ: 0 ANSI: 5",
                     text, re.M), vm.report()
    assert re.search(r"^sd 0:0:0:0: \[sda\] 6144 512-byte logical blocks: \(3\.1 MB/3\.0 MiB\)",
                     text, re.M), vm.report()
    assert "probe failed" not in text, vm.report()
    assert status == qemurun.EXIT_SUCCESS, vm.report()
