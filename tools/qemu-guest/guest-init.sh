#!/bin/busybox sh
# PID 1 of the guest's initramfs (built by run-in-guest.sh): load the virtio and 9p modules, mount
# the host's root read-only over 9p under a tmpfs overlay, mount the writable results share at the
# same path as on the host, run the command script in a chroot and print its exit code on the
# serial console, then power off.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "guest-init: insmod $m failed"; done

CMD=; RESULTS=
for word in $(cat /proc/cmdline); do
    case "$word" in
        netstack.cmd=*) CMD="${word#netstack.cmd=}" ;;
        netstack.results=*) RESULTS="${word#netstack.results=}" ;;
    esac
done

finish() {
    sync
    echo "NETSTACK-EXIT=$1" > /dev/console
    poweroff -f
}

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower || finish 201
mount -t tmpfs -o size=768m tmpfs /rw || finish 202
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || finish 203
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/hugepages /newroot/dev/shm
mount -t hugetlbfs none /newroot/dev/hugepages
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "/newroot$RESULTS" || finish 204
chroot /newroot /bin/sh "$CMD"
finish $?
