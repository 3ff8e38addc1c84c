package dev.netstack.nic.pci;

import dev.netstack.runtime.os.Linux;

/**
 * A PCI device or DMA memory that cannot be used, with a message of one sentence that says what
 * to do. Thrown on control paths only (opening, mapping, closing), never on the data path.
 */
public final class PciException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for callers and tests that act on the kind of failure. */
    public enum Reason {
        BAD_ADDRESS, BAD_CONFIGURATION, NO_SUCH_DEVICE, NOT_PERMITTED, WRONG_DEVICE, IN_USE, NO_HUGEPAGES, IO_ERROR
    }

    private final Reason reason;

    public PciException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    static PciException badAddress(String text) {
        return new PciException(Reason.BAD_ADDRESS, "'" + text + "' is not a PCI address: write it as"
                + " DDDD:BB:DD.F like 0000:00:04.0, as lspci -D shows it.");
    }

    static PciException noSuchDevice(PciAddress address) {
        return new PciException(Reason.NO_SUCH_DEVICE, "There is no PCI device " + address
                + ": check the address with lspci -D.");
    }

    /** A failed system call on {@code path}, phrased by errno. */
    static PciException failed(String action, String path, int errno) {
        int e = Math.abs(errno);
        if (e == Linux.EPERM || e == Linux.EACCES) {
            return new PciException(Reason.NOT_PERMITTED, "Not permitted to " + action + " " + path
                    + ": run as root (the userspace PCI drivers need CAP_SYS_ADMIN).");
        }
        if (e == Linux.ENOENT || e == Linux.ENODEV || e == Linux.ENXIO) {
            return new PciException(Reason.NO_SUCH_DEVICE, "Cannot " + action + " " + path + " ("
                    + Linux.strerror(e) + "): check that the device and the resource exist.");
        }
        return new PciException(Reason.IO_ERROR, "Cannot " + action + " " + path + ": " + Linux.strerror(e) + " ("
                + Linux.errnoName(e) + ").");
    }
}
