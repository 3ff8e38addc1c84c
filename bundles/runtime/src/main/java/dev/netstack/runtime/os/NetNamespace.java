package dev.netstack.runtime.os;

/**
 * Moves the calling thread into a named network namespace (one made by {@code ip netns add NAME},
 * bound at {@code /var/run/netns/NAME}) with setns(2), and back on {@link #close()}.
 *
 * <p>setns affects only the calling thread: sockets and TAP devices it creates afterwards belong to
 * the namespace, and so do interface ioctls it makes. Use a dedicated platform thread (never a
 * virtual thread, which may move between carriers), and make every namespace-dependent call on it.
 * Needs CAP_SYS_ADMIN.
 *
 * <pre>{@code
 * try (NetNamespace ns = NetNamespace.enter("nsb-test")) {
 *     tap = TapDevice.open(settings);      // the TAP is created inside nsb-test
 * }
 * }</pre>
 */
public final class NetNamespace implements AutoCloseable {

    /** Where {@code ip netns} binds named namespaces. */
    public static final String NETNS_DIR = "/var/run/netns/";

    private final Linux linux = new Linux();
    private final Thread thread;
    private final String name;
    private int previousFd;

    private NetNamespace(String name, int previousFd) {
        this.thread = Thread.currentThread();
        this.name = name;
        this.previousFd = previousFd;
    }

    /**
     * Enters namespace {@code name} on the calling thread.
     *
     * @throws ErrnoException if the namespace does not exist or the caller lacks the privilege
     * @throws IllegalArgumentException if {@code name} is not a plain file name
     */
    public static NetNamespace enter(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a network namespace name: '" + name + "'");
        }
        Linux linux = new Linux();
        int previous = ErrnoException.check(linux.open("/proc/thread-self/ns/net", Linux.O_RDONLY | Linux.O_CLOEXEC),
                "open the current network namespace");
        int target = linux.open(NETNS_DIR + name, Linux.O_RDONLY | Linux.O_CLOEXEC);
        if (target < 0) {
            linux.close(previous);
            throw new ErrnoException("open network namespace " + NETNS_DIR + name, -target);
        }
        int r = linux.setns(target, Linux.CLONE_NEWNET);
        linux.close(target);
        if (r < 0) {
            linux.close(previous);
            throw new ErrnoException("enter network namespace " + name, -r);
        }
        return new NetNamespace(name, previous);
    }

    public String name() {
        return name;
    }

    /** Returns the thread to the namespace it was in before {@link #enter}. Idempotent; same thread only. */
    @Override
    public void close() {
        if (previousFd < 0) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("leave a network namespace on the thread that entered it");
        }
        int r = linux.setns(previousFd, Linux.CLONE_NEWNET);
        linux.close(previousFd);
        previousFd = -1;
        if (r < 0) {
            throw new ErrnoException("return from network namespace " + name, -r);
        }
    }
}
