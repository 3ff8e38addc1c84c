package dev.netstack.nic.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.nic.tap.TapException.Reason;
import dev.netstack.runtime.os.Linux;
import org.junit.jupiter.api.Test;

class TapExceptionTest {

    @Test
    void permissionDeniedOnCloneDeviceTellsToRunAsRootOrWithCapNetAdmin() {
        TapException e = TapException.openFailed("/dev/net/tun", Linux.EACCES);
        assertEquals(Reason.PERMISSION, e.reason());
        assertEquals(Linux.EACCES, e.errno());
        assertEquals("No permission to open /dev/net/tun: run as root or with CAP_NET_ADMIN.", e.getMessage());
        assertEquals(Reason.PERMISSION, TapException.openFailed("/dev/net/tun", Linux.EPERM).reason());
    }

    @Test
    void tunsetiffEpermTellsToRunAsRootOrWithCapNetAdmin() {
        TapException e = TapException.createFailed("ns0", -Linux.EPERM);
        assertEquals(Reason.PERMISSION, e.reason());
        assertEquals("No permission to create TAP device ns0: run as root or with CAP_NET_ADMIN.", e.getMessage());
    }

    @Test
    void missingCloneDeviceSaysSo() {
        TapException e = TapException.openFailed("/dev/net/tun", Linux.ENOENT);
        assertEquals(Reason.NO_DEVICE, e.reason());
        assertEquals("/dev/net/tun does not exist: load the tun module or create the device node"
                + " (mknod /dev/net/tun c 10 200).", e.getMessage());
        assertEquals(Reason.NO_DEVICE, TapException.openFailed("/dev/net/tun", Linux.ENODEV).reason());
    }

    @Test
    void busyTapSaysItIsInUse() {
        TapException e = TapException.createFailed("ns0", Linux.EBUSY);
        assertEquals(Reason.BUSY, e.reason());
        assertEquals("TAP device ns0 is in use by another process: stop it or choose another TAP name.",
                e.getMessage());
    }

    @Test
    void invalidOrForeignNameSaysSo() {
        TapException e = TapException.createFailed("lo", Linux.EINVAL);
        assertEquals(Reason.BAD_CONFIGURATION, e.reason());
        assertEquals("Cannot create TAP device lo: the name is invalid or taken by an interface that is not a TAP;"
                + " choose another TAP name.", e.getMessage());
    }

    @Test
    void otherErrorsNameTheCauseAndErrno() {
        assertEquals("Cannot create TAP device ns0: Cannot allocate memory (ENOMEM).",
                TapException.createFailed("ns0", Linux.ENOMEM).getMessage());
        assertEquals("Cannot set the MTU of TAP device ns0: Invalid argument (EINVAL).",
                TapException.configureFailed("set the MTU of", "ns0", Linux.EINVAL).getMessage());
        assertEquals(Reason.PERMISSION, TapException.configureFailed("bring up", "ns0", Linux.EPERM).reason());
    }

    @Test
    void steeringProgramRefusedForPermissionTellsToRunAsRootOrUseOneQueue() {
        TapException e = TapException.steeringFailed("ns0", 4, Linux.EPERM, "");
        assertEquals(Reason.PERMISSION, e.reason());
        assertEquals("No permission to load the eBPF program that steers flows over the 4 queues of TAP device ns0:"
                + " run as root or with CAP_BPF and CAP_NET_ADMIN, or set queues to 1.", e.getMessage());
    }

    @Test
    void steeringProgramRejectedByTheVerifierCarriesItsLog() {
        TapException e = TapException.steeringFailed("ns0", 2, Linux.EACCES, "0: R1 !read_ok");
        assertEquals(Reason.SYSTEM, e.reason());
        assertEquals("The kernel refused the eBPF program that steers flows over the queues of TAP device ns0"
                + " (Permission denied (EACCES)): set queues to 1; the verifier said: 0: R1 !read_ok", e.getMessage());
        assertEquals(Reason.NO_DEVICE, TapException.steeringFailed("ns0", 2, 38, "").reason());
    }

    @Test
    void kernelWithoutSteeringIoctlNamesTheKernelVersion() {
        TapException e = TapException.steeringAttachFailed("ns0", 2, Linux.EINVAL);
        assertEquals(Reason.NO_DEVICE, e.reason());
        assertEquals("The TUN driver cannot steer flows over the 2 queues of TAP device ns0 by eBPF"
                + " (TUNSETSTEERINGEBPF: Invalid argument (EINVAL)): use Linux 4.16 or later, or set queues to 1.",
                e.getMessage());
    }

    @Test
    void queueAttachedToASingleQueueTapSaysToChooseAnotherName() {
        TapException e = TapException.queueFailed("ns0", 1, 2, Linux.EINVAL);
        assertEquals(Reason.BAD_CONFIGURATION, e.reason());
        assertEquals("Cannot attach queue 1 to TAP device ns0: it exists without multi-queue support; choose another"
                + " TAP name or set queues to 1.", e.getMessage());
    }
}
