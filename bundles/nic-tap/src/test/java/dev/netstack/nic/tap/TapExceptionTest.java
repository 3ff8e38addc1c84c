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
}
