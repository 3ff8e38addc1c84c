package dev.netstack.runtime.os;

/**
 * A failed system call on a control path (opening a device, configuring an interface). The data
 * path never throws this: it gets {@code -errno} from {@link Linux} and counts.
 */
public class ErrnoException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int errno;

    /** {@code what} names the call and its object, e.g. {@code "open /dev/net/tun"}. */
    public ErrnoException(String what, int errno) {
        super(what + ": " + Linux.strerror(errno) + " (" + Linux.errnoName(errno) + ")");
        this.errno = Math.abs(errno);
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    /** Returns {@code result} if it is not negative, else throws for {@code -result}. */
    public static int check(int result, String what) {
        if (result < 0) {
            throw new ErrnoException(what, -result);
        }
        return result;
    }
}
