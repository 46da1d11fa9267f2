"""Issue #2, first light: on both boot paths the kernel finds the virtio-scsi
controller, brings it up and prints LUN 0's INQUIRY data and capacity.
Under UEFI, OVMF's own VirtioScsiDxe has driven the controller first (no
bootindex is given, so OVMF connects every device); our driver must reset
it and take over."""
import re

import qemurun


def test_inquiry_and_capacity_at_boot(vm, boot, disk_image):
    image = disk_image("d0", 3 << 20, seed=2)      # 6144 blocks of 512 bytes
    devices = qemurun.controller("scsi0", boot.machine) + qemurun.disk(image)
    status, text = vm.run_script("lsscsi", devices)
    assert re.search(r"^scsi 0:0:0:0: Direct-Access\s+QEMU\s+QEMU HARDDISK\s+2\.5\+\s+PQ: 0 ANSI: 5",
                     text, re.M), vm.report()
    assert re.search(r"^sd 0:0:0:0: \[sda\] 6144 512-byte logical blocks: \(3\.1 MB/3\.0 MiB\)",
                     text, re.M), vm.report()
    assert "probe failed" not in text, vm.report()
    assert status == qemurun.EXIT_SUCCESS, vm.report()
