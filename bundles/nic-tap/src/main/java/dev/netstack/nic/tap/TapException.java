package dev.netstack.nic.tap;

import dev.netstack.runtime.os.Linux;

/**
 * A TAP device could not be opened or configured. The message is one sentence a user can act on
 * (launchers print it alone, without a stack trace); {@link #reason()} tells programs what happened.
 */
public final class TapException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for programs. */
    public enum Reason {
        /** Not root and no CAP_NET_ADMIN. */
        PERMISSION,
        /** No {@code /dev/net/tun} or no TUN/TAP driver in the kernel. */
        NO_DEVICE,
        /** A setting is invalid (name, MAC, MTU, address). */
        BAD_CONFIGURATION,
        /** The TAP is attached to another process already. */
        BUSY,
        /** Any other system call failure. */
        SYSTEM
    }

    private final Reason reason;
    private final int errno;

    public TapException(Reason reason, String message) {
        this(reason, message, 0);
    }

    public TapException(Reason reason, String message, int errno) {
        super(message);
        this.reason = reason;
        this.errno = Math.abs(errno);
    }

    public Reason reason() {
        return reason;
    }

    /** The errno behind the failure, 0 if none. */
    public int errno() {
        return errno;
    }

    /** Maps a failed open of {@code path} (the TUN clone device) to a message. */
    public static TapException openFailed(String path, int errno) {
        return switch (Math.abs(errno)) {
            case Linux.EACCES, Linux.EPERM -> new TapException(Reason.PERMISSION,
                    "No permission to open " + path + ": run as root or with CAP_NET_ADMIN.", errno);
            case Linux.ENOENT -> new TapException(Reason.NO_DEVICE,
                    path + " does not exist: load the tun module or create the device node"
                            + " (mknod " + path + " c 10 200).", errno);
            case Linux.ENODEV, Linux.ENXIO -> new TapException(Reason.NO_DEVICE,
                    "The kernel has no TUN/TAP driver behind " + path + ": load the tun module.", errno);
            default -> new TapException(Reason.SYSTEM, "Cannot open " + path + ": " + describe(errno) + ".", errno);
        };
    }

    /** Maps a failed TUNSETIFF for TAP {@code name} to a message. */
    public static TapException createFailed(String name, int errno) {
        return switch (Math.abs(errno)) {
            case Linux.EPERM, Linux.EACCES -> new TapException(Reason.PERMISSION,
                    "No permission to create TAP device " + name + ": run as root or with CAP_NET_ADMIN.", errno);
            case Linux.EBUSY -> new TapException(Reason.BUSY,
                    "TAP device " + name + " is in use by another process: stop it or choose another TAP name.",
                    errno);
            case Linux.EINVAL -> new TapException(Reason.BAD_CONFIGURATION,
                    "Cannot create TAP device " + name + ": the name is invalid or taken by an interface that is"
                            + " not a TAP; choose another TAP name.", errno);
            default -> new TapException(Reason.SYSTEM,
                    "Cannot create TAP device " + name + ": " + describe(errno) + ".", errno);
        };
    }

    /** Maps a failed configuration step ({@code "set the address of"}, say) of TAP {@code name}. */
    public static TapException configureFailed(String step, String name, int errno) {
        return switch (Math.abs(errno)) {
            case Linux.EPERM, Linux.EACCES -> new TapException(Reason.PERMISSION,
                    "No permission to " + step + " TAP device " + name + ": run as root or with CAP_NET_ADMIN.",
                    errno);
            default -> new TapException(Reason.SYSTEM,
                    "Cannot " + step + " TAP device " + name + ": " + describe(errno) + ".", errno);
        };
    }

    /** Maps a failed TUNSETIFF attaching queue {@code queue} of {@code queues} to TAP {@code name}. */
    public static TapException queueFailed(String name, int queue, int queues, int errno) {
        return switch (Math.abs(errno)) {
            case Linux.EPERM, Linux.EACCES -> new TapException(Reason.PERMISSION,
                    "No permission to attach queue " + queue + " to TAP device " + name
                            + ": run as root or with CAP_NET_ADMIN.", errno);
            case Linux.EINVAL -> new TapException(Reason.BAD_CONFIGURATION,
                    "Cannot attach queue " + queue + " to TAP device " + name + ": it exists without multi-queue"
                            + " support; choose another TAP name or set queues to 1.", errno);
            default -> new TapException(Reason.SYSTEM, "Cannot attach queue " + queue + " of " + queues
                    + " to TAP device " + name + ": " + describe(errno) + "; use fewer queues.", errno);
        };
    }

    /**
     * Maps a failed load of the eBPF steering program of TAP {@code name} ({@code queues} queues);
     * {@code verifierLog} (may be empty) is the kernel verifier's explanation of a rejection.
     */
    public static TapException steeringFailed(String name, int queues, int errno, String verifierLog) {
        return switch (Math.abs(errno)) {
            case Linux.EPERM -> new TapException(Reason.PERMISSION,
                    "No permission to load the eBPF program that steers flows over the " + queues
                            + " queues of TAP device " + name + ": run as root or with CAP_BPF and CAP_NET_ADMIN,"
                            + " or set queues to 1.", errno);
            case 38 /* ENOSYS */ -> new TapException(Reason.NO_DEVICE,
                    "This kernel has no bpf(2), which TAP device " + name + " needs to steer flows over " + queues
                            + " queues: set queues to 1.", errno);
            default -> new TapException(Reason.SYSTEM,
                    "The kernel refused the eBPF program that steers flows over the queues of TAP device " + name
                            + " (" + describe(errno) + "): set queues to 1"
                            + (verifierLog.isEmpty() ? "." : "; the verifier said: " + verifierLog), errno);
        };
    }

    /** Maps a failed TUNSETSTEERINGEBPF on TAP {@code name} ({@code queues} queues). */
    public static TapException steeringAttachFailed(String name, int queues, int errno) {
        return switch (Math.abs(errno)) {
            case Linux.EPERM, Linux.EACCES -> new TapException(Reason.PERMISSION,
                    "No permission to attach the flow steering program to TAP device " + name
                            + ": run as root or with CAP_NET_ADMIN, or set queues to 1.", errno);
            default -> new TapException(Reason.NO_DEVICE,
                    "The TUN driver cannot steer flows over the " + queues + " queues of TAP device " + name
                            + " by eBPF (TUNSETSTEERINGEBPF: " + describe(errno)
                            + "): use Linux 4.16 or later, or set queues to 1.", errno);
        };
    }

    private static String describe(int errno) {
        return Linux.strerror(errno) + " (" + Linux.errnoName(errno) + ")";
    }
}
