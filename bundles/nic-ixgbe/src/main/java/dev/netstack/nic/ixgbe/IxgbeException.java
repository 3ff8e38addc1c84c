package dev.netstack.nic.ixgbe;

/**
 * The device could not be found, initialised or configured. The message is one sentence a user can
 * act on; launchers print it alone, without a stack trace.
 */
public final class IxgbeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for programs. */
    public enum Reason {
        /** No such PCI device, or not an 82599. */
        NO_DEVICE,
        /** A setting is invalid. */
        BAD_CONFIGURATION,
        /** The device did not finish a step of its initialisation in time. */
        TIMEOUT,
        /** The link did not come up in time. */
        NO_LINK,
        /** DMA memory or register access could not be set up. */
        SYSTEM
    }

    private final Reason reason;

    public IxgbeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
