package dev.netstack.runtime.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux system calls through FFM downcalls into the C library, for one owner at a time.
 *
 * <p><b>Conventions.</b>
 * <ul>
 *   <li>Every call returns what the system call returns on success and {@code -errno} on failure
 *       (the C library's {@code -1} never reaches the caller). The data path tests {@code r < 0}
 *       and compares with the {@code E*} constants; nothing throws, nothing allocates.</li>
 *   <li>{@code errno} is captured right after the call into a small segment this instance owns
 *       ({@link Linker.Option#captureCallState}), so an instance must not be used by two threads at
 *       once. Give each owner (a device queue, an idle strategy, a control path) its own.</li>
 *   <li>Buffers are passed as raw addresses ({@code long}): {@code buffer.segment().address() +
 *       offset}. A {@link MemorySegment} argument would pass its base address, and slicing it to
 *       reach an offset would allocate.</li>
 *   <li>Variadic functions ({@code open}, {@code ioctl}, {@code fcntl}) are bound with
 *       {@link Linker.Option#firstVariadicArg} and C-promoted argument types (int, long, pointer).</li>
 * </ul>
 *
 * <p>Control-path helpers that throw {@link ErrnoException} are in {@link ErrnoException#check}.
 */
public final class Linux {

    // errno values (asm-generic/errno-base.h, errno.h)
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int EMSGSIZE = 90;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENETDOWN = 100;

    // open(2) flags (asm-generic/fcntl.h)
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final int O_CREAT = 0x40;
    public static final int O_SYNC = 0x101000;

    // mmap(2) (asm-generic/mman-common.h, mman.h)
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;

    // fcntl(2)
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    // poll(2) events; struct pollfd is { int fd; short events; short revents; }
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    public static final int POLLFD_BYTES = 8;
    public static final int POLLFD_EVENTS = 4;
    public static final int POLLFD_REVENTS = 6;

    // eventfd(2)
    public static final int EFD_NONBLOCK = O_NONBLOCK;
    public static final int EFD_CLOEXEC = O_CLOEXEC;

    // socket(2)
    public static final int AF_INET = 2;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;

    // setns(2)
    public static final int CLONE_NEWNET = 0x4000_0000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CALL_STATE.byteOffset(PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = bind("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle READ = bind("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle WRITE = bind("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    /** write(2) without errno capture: for callers on any thread that only care whether it worked. */
    private static final MethodHandle WRITE_BARE = bind("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle POLL = bind("poll",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), ERRNO);
    private static final MethodHandle IOCTL_POINTER = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL = bind("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle EVENTFD = bind("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle SOCKET = bind("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle SETNS = bind("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle PREAD = bind("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle PWRITE = bind("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle LSEEK = bind("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), ERRNO);
    private static final MethodHandle FTRUNCATE = bind("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    private static final MethodHandle MMAP = bind("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    private static final MethodHandle MUNMAP = bind("munmap",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle MLOCK = bind("mlock",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle MUNLOCK = bind("munlock",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle SCHED_SETAFFINITY = bind("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle SCHED_GETAFFINITY = bind("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO);
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private final MemorySegment callState;

    /** An instance with its own errno capture segment (freed when the instance is unreachable). */
    public Linux() {
        this.callState = Arena.ofAuto().allocate(CALL_STATE);
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private int errno() {
        return callState.get(JAVA_INT, ERRNO_OFFSET);
    }

    private int result(int r) {
        return r < 0 ? -errno() : r;
    }

    private int result(long r) {
        return r < 0 ? -errno() : (int) r;
    }

    private static IllegalStateException linkFailure(Throwable t) {
        return new IllegalStateException("native call failed to link or run", t);
    }

    /** open(2). Control path: the path string is copied into a temporary native segment. */
    public int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return result((int) OPEN.invokeExact(callState, arena.allocateFrom(path), flags, 0));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** open(2) with a mode for {@link #O_CREAT}. Control path. */
    public int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            return result((int) OPEN.invokeExact(callState, arena.allocateFrom(path), flags, mode));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** close(2). */
    public int close(int fd) {
        try {
            return result((int) CLOSE.invokeExact(callState, fd));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** read(2) of up to {@code bytes} into native memory at {@code address}: bytes read or -errno. */
    public int read(int fd, long address, long bytes) {
        try {
            return result((long) READ.invokeExact(callState, fd, address, bytes));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** write(2) of {@code bytes} from native memory at {@code address}: bytes written or -errno. */
    public int write(int fd, long address, long bytes) {
        try {
            return result((long) WRITE.invokeExact(callState, fd, address, bytes));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /**
     * write(2) without touching any per-owner state, so safe from any thread at once; returns bytes
     * written or -1 (the cause is not captured). For signalling an eventfd.
     */
    public static int writeFromAnyThread(int fd, long address, long bytes) {
        try {
            return (int) (long) WRITE_BARE.invokeExact(fd, address, bytes);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /**
     * poll(2) over {@code count} {@code struct pollfd} entries ({@link #POLLFD_BYTES} each) at
     * {@code address}: number of ready entries, 0 on timeout, or -errno ({@code -EINTR} included).
     */
    public int poll(long address, int count, int timeoutMs) {
        try {
            return result((int) POLL.invokeExact(callState, address, (long) count, timeoutMs));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** ioctl(2) with a pointer argument (a {@code struct ifreq}, say). */
    public int ioctl(int fd, long request, MemorySegment argument) {
        try {
            return result((int) IOCTL_POINTER.invokeExact(callState, fd, request, argument));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** ioctl(2) with an integer argument, passed as a C {@code long}. */
    public int ioctl(int fd, long request, long argument) {
        try {
            return result((int) IOCTL_LONG.invokeExact(callState, fd, request, argument));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** fcntl(2) with an int argument ({@link #F_GETFL}, {@link #F_SETFL}). */
    public int fcntl(int fd, int command, int argument) {
        try {
            return result((int) FCNTL.invokeExact(callState, fd, command, argument));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** eventfd(2): a new descriptor or -errno. */
    public int eventfd(int initialValue, int flags) {
        try {
            return result((int) EVENTFD.invokeExact(callState, initialValue, flags));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** socket(2): a new descriptor or -errno. */
    public int socket(int domain, int type, int protocol) {
        try {
            return result((int) SOCKET.invokeExact(callState, domain, type, protocol));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** setns(2): moves the calling thread into the namespace {@code fd} refers to. */
    public int setns(int fd, int namespaceType) {
        try {
            return result((int) SETNS.invokeExact(callState, fd, namespaceType));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** pread(2) of up to {@code bytes} at file offset {@code position} into native memory: bytes read or -errno. */
    public int pread(int fd, long address, long bytes, long position) {
        try {
            return result((long) PREAD.invokeExact(callState, fd, address, bytes, position));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** pwrite(2) of {@code bytes} from native memory to file offset {@code position}: bytes written or -errno. */
    public int pwrite(int fd, long address, long bytes, long position) {
        try {
            return result((long) PWRITE.invokeExact(callState, fd, address, bytes, position));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** lseek(2): the new offset or -errno. */
    public long lseek(int fd, long offset, int whence) {
        try {
            long r = (long) LSEEK.invokeExact(callState, fd, offset, whence);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** ftruncate(2). */
    public int ftruncate(int fd, long length) {
        try {
            return result((int) FTRUNCATE.invokeExact(callState, fd, length));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /**
     * mmap(2): the address of the new mapping, or -errno. Addresses of user mappings are below
     * 2^47, so a negative result is always an error.
     */
    public long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        try {
            long r = (long) MMAP.invokeExact(callState, address, length, prot, flags, fd, offset);
            return r == -1L ? -errno() : r;
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** munmap(2). */
    public int munmap(long address, long length) {
        try {
            return result((int) MUNMAP.invokeExact(callState, address, length));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** mlock(2): keeps the pages resident (and, for DMA, at the same physical address). */
    public int mlock(long address, long length) {
        try {
            return result((int) MLOCK.invokeExact(callState, address, length));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** munlock(2). */
    public int munlock(long address, long length) {
        try {
            return result((int) MUNLOCK.invokeExact(callState, address, length));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /**
     * sched_setaffinity(2): restricts thread {@code tid} (0: the calling thread) to the CPUs whose
     * bits are set in the mask of {@code bytes} bytes at {@code maskAddress} (a {@code cpu_set_t}:
     * bit {@code n % 64} of little-endian word {@code n / 64} is CPU {@code n}).
     */
    public int schedSetaffinity(int tid, long bytes, long maskAddress) {
        try {
            return result((int) SCHED_SETAFFINITY.invokeExact(callState, tid, bytes, maskAddress));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /**
     * sched_getaffinity(2): writes the CPU mask of thread {@code tid} (0: the calling thread) into
     * {@code bytes} bytes at {@code maskAddress}; returns the size the kernel wrote, or -errno.
     */
    public int schedGetaffinity(int tid, long bytes, long maskAddress) {
        try {
            return result((int) SCHED_GETAFFINITY.invokeExact(callState, tid, bytes, maskAddress));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** The C library's message for {@code errno} (sign ignored), e.g. "Operation not permitted". */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(Math.abs(errno));
            return text.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** The symbolic name of common errno values ({@code EPERM}), or {@code errno N}. Sign ignored. */
    public static String errnoName(int errno) {
        return switch (Math.abs(errno)) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL";
            case ENOTTY -> "ENOTTY";
            case ENOSPC -> "ENOSPC";
            case EMSGSIZE -> "EMSGSIZE";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case EADDRNOTAVAIL -> "EADDRNOTAVAIL";
            case ENETDOWN -> "ENETDOWN";
            default -> "errno " + Math.abs(errno);
        };
    }
}
