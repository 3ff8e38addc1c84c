package dev.netstack.runtime.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class LinuxTest {

    private final Linux linux = new Linux();
    private final MemorySegment word = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);

    @Test
    void eventfdCarriesWhatIsWrittenToTheNextRead() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC), "eventfd");
        try {
            word.set(ValueLayout.JAVA_LONG, 0, 5L);
            assertEquals(8, linux.write(fd, word.address(), 8));
            assertEquals(8, linux.write(fd, word.address(), 8));
            word.set(ValueLayout.JAVA_LONG, 0, 0L);
            assertEquals(8, linux.read(fd, word.address(), 8));
            assertEquals(10L, word.get(ValueLayout.JAVA_LONG, 0));
        } finally {
            assertEquals(0, linux.close(fd));
        }
    }

    @Test
    void readOfEmptyNonBlockingDescriptorReturnsMinusEagain() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        try {
            assertEquals(-Linux.EAGAIN, linux.read(fd, word.address(), 8));
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void failuresReturnNegativeErrno() {
        assertEquals(-Linux.EBADF, linux.close(-1));
        assertEquals(-Linux.ENOENT, linux.open("/nonexistent/netstack-test", Linux.O_RDONLY));
        assertEquals(-Linux.EBADF, linux.ioctl(-1, 0x8913L, word));
        assertEquals(-Linux.EBADF, linux.fcntl(-1, Linux.F_GETFL, 0));
    }

    @Test
    void fcntlReadsTheFlagsOpenSet() {
        int fd = ErrnoException.check(linux.open("/dev/null", Linux.O_RDWR | Linux.O_NONBLOCK), "open /dev/null");
        try {
            int flags = linux.fcntl(fd, Linux.F_GETFL, 0);
            assertTrue(flags >= 0);
            assertEquals(Linux.O_RDWR, flags & 3);
            assertTrue((flags & Linux.O_NONBLOCK) != 0);
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void pollReportsReadableDescriptorAndTimesOutOnIdleOne() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        MemorySegment pollFd = Arena.ofAuto().allocate(Linux.POLLFD_BYTES, 8);
        try {
            pollFd.set(ValueLayout.JAVA_INT, 0, fd);
            pollFd.set(ValueLayout.JAVA_SHORT, Linux.POLLFD_EVENTS, Linux.POLLIN);
            assertEquals(0, linux.poll(pollFd.address(), 1, 0));
            word.set(ValueLayout.JAVA_LONG, 0, 1L);
            linux.write(fd, word.address(), 8);
            assertEquals(1, linux.poll(pollFd.address(), 1, 1000));
            assertEquals(Linux.POLLIN, pollFd.get(ValueLayout.JAVA_SHORT, Linux.POLLFD_REVENTS) & Linux.POLLIN);
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void socketForInterfaceIoctlsOpens() {
        int fd = linux.socket(Linux.AF_INET, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        assertTrue(fd >= 0, () -> "socket: " + Linux.strerror(fd));
        linux.close(fd);
    }

    @Test
    void strerrorAndErrnoNameDescribeErrno() {
        assertEquals("Operation not permitted", Linux.strerror(Linux.EPERM));
        assertEquals("Operation not permitted", Linux.strerror(-Linux.EPERM));
        assertEquals("EBUSY", Linux.errnoName(-Linux.EBUSY));
        assertEquals("errno 4095", Linux.errnoName(4095));
    }

    @Test
    void errnoExceptionNamesCallCauseAndSymbol() {
        ErrnoException e = new ErrnoException("open /dev/net/tun", Linux.EACCES);
        assertEquals("open /dev/net/tun: Permission denied (EACCES)", e.getMessage());
        assertEquals(Linux.EACCES, e.errno());
        assertEquals(7, ErrnoException.check(7, "x"));
        assertEquals(Linux.ENOENT, org.junit.jupiter.api.Assertions.assertThrows(ErrnoException.class,
                () -> ErrnoException.check(-Linux.ENOENT, "open x")).errno());
    }

    @Test
    void dataPathCallsAllocateNothing() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        MemorySegment pollFd = Arena.ofAuto().allocate(Linux.POLLFD_BYTES, 8);
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, Linux.POLLFD_EVENTS, Linux.POLLIN);
        word.set(ValueLayout.JAVA_LONG, 0, 1L);
        try {
            for (int i = 0; i < 300_000; i++) {   // warm up: let the JIT compile the downcall paths
                cycle(fd, pollFd);
            }
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            int iterations = 10_000;
            // The least of several rounds: a per-call allocation shows in every round, a JIT
            // compilation still finishing on a loaded machine only in some.
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 20 && allocated >= iterations; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < iterations; i++) {
                    cycle(fd, pollFd);
                }
                allocated = Math.min(allocated, threads.getThreadAllocatedBytes(tid) - before);
            }
            System.out.println("allocated " + allocated + " bytes over " + iterations + " write/poll/read cycles");
            assertTrue(allocated < iterations, "allocated " + allocated + " bytes in " + iterations + " cycles");
        } finally {
            linux.close(fd);
        }
    }

    private void cycle(int fd, MemorySegment pollFd) {
        linux.write(fd, word.address(), 8);
        linux.poll(pollFd.address(), 1, 0);
        linux.read(fd, word.address() , 8);
        word.set(ValueLayout.JAVA_LONG, 0, 1L);
        linux.read(fd, word.address(), 8); // -EAGAIN: the error path allocates nothing either
    }
}
