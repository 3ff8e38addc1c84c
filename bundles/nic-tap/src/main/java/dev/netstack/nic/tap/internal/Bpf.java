package dev.netstack.nic.tap.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The bpf(2) system call through FFM, for the two commands the TAP needs: load a socket filter
 * program ({@code BPF_PROG_LOAD}) and run one on a test packet ({@code BPF_PROG_TEST_RUN}). Read
 * bpf(2) and the kernel's include/uapi/linux/bpf.h ({@code union bpf_attr}) first. glibc has no
 * wrapper: the call goes through syscall(2) with the architecture's number. Control path only.
 */
public final class Bpf {

    static final int BPF_PROG_LOAD = 5;
    static final int BPF_PROG_TEST_RUN = 10;
    public static final int BPF_PROG_TYPE_SOCKET_FILTER = 1;
    /** log_level 1: the verifier explains a rejection. */
    static final int LOG_LEVEL = 1;
    static final int LOG_BYTES = 1 << 16;
    public static final int EPERM = 1;
    public static final int ENOSYS = 38;

    // union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, log_level, log_size, log_buf
    static final int LOAD_PROG_TYPE = 0;
    static final int LOAD_INSN_CNT = 4;
    static final int LOAD_INSNS = 8;
    static final int LOAD_LICENSE = 16;
    static final int LOAD_LOG_LEVEL = 24;
    static final int LOAD_LOG_SIZE = 28;
    static final int LOAD_LOG_BUF = 32;
    static final int LOAD_PROG_NAME = 48;
    static final int LOAD_ATTR_BYTES = 72;
    // union bpf_attr, BPF_PROG_TEST_RUN: prog_fd, retval, data_size_in, data_size_out, data_in, data_out, repeat
    static final int TEST_PROG_FD = 0;
    static final int TEST_RETVAL = 4;
    static final int TEST_DATA_SIZE_IN = 8;
    static final int TEST_DATA_IN = 16;
    static final int TEST_REPEAT = 32;
    static final int TEST_ATTR_BYTES = 80;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CALL_STATE.byteOffset(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    /** long syscall(long number, ...): here (number, int cmd, union bpf_attr *attr, unsigned int size). */
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(() -> new UnsatisfiedLinkError("syscall")),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    /** The bpf system call's number on this architecture (asm/unistd_64.h), -1 if unknown here. */
    static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64", "arm64", "riscv64" -> 280;
        default -> -1;
    };

    /**
     * A program the kernel accepted, as a file descriptor, or why not.
     *
     * @param fd the program's descriptor, or -1
     * @param errno the failure, 0 on success
     * @param log the verifier's explanation of a rejection, empty if none
     */
    public record Loaded(int fd, int errno, String log) {
        public boolean ok() {
            return fd >= 0;
        }
    }

    private Bpf() {
    }

    /**
     * BPF_PROG_LOAD of a {@link #BPF_PROG_TYPE_SOCKET_FILTER} program. Loads once without a log;
     * if the kernel refuses (other than for permission), loads again with the verifier's log to say why.
     *
     * @param program encoded instructions ({@link EbpfAssembler#encode()})
     * @param name the program's name as bpftool shows it (at most 15 ASCII characters)
     */
    public static Loaded loadSocketFilter(byte[] program, String name) {
        if (SYS_BPF < 0) {
            return new Loaded(-1, ENOSYS, "");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(program.length, 8);
            MemorySegment.copy(program, 0, insns, ValueLayout.JAVA_BYTE, 0, program.length);
            // the program calls no kernel helper, so the kernel's GPL-only check has nothing to check
            MemorySegment license = arena.allocateFrom("netstack");
            MemorySegment attr = arena.allocate(LOAD_ATTR_BYTES, 8);
            attr.set(JAVA_INT, LOAD_PROG_TYPE, BPF_PROG_TYPE_SOCKET_FILTER);
            attr.set(JAVA_INT, LOAD_INSN_CNT, program.length / EbpfAssembler.SLOT_BYTES);
            attr.set(JAVA_LONG, LOAD_INSNS, insns.address());
            attr.set(JAVA_LONG, LOAD_LICENSE, license.address());
            byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(nameBytes, 0, attr, ValueLayout.JAVA_BYTE, LOAD_PROG_NAME,
                    Math.min(15, nameBytes.length));
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = call(state, BPF_PROG_LOAD, attr, LOAD_ATTR_BYTES);
            if (fd >= 0 || fd == -EPERM) {
                return new Loaded(fd, fd >= 0 ? 0 : -fd, "");
            }
            MemorySegment log = arena.allocate(LOG_BYTES);
            attr.set(JAVA_INT, LOAD_LOG_LEVEL, LOG_LEVEL);
            attr.set(JAVA_INT, LOAD_LOG_SIZE, LOG_BYTES);
            attr.set(JAVA_LONG, LOAD_LOG_BUF, log.address());
            int again = call(state, BPF_PROG_LOAD, attr, LOAD_ATTR_BYTES);
            if (again >= 0) {
                return new Loaded(again, 0, ""); // accepted this time: nothing to explain
            }
            return new Loaded(-1, -again, log.getString(0).strip());
        }
    }

    /**
     * BPF_PROG_TEST_RUN of a socket filter over {@code packet}: the program's return value, or
     * -errno as a negative long. The kernel takes the first 14 bytes of the input as an Ethernet
     * header and starts the program after them (eth_type_trans), so a caller that wants the
     * program to see a whole frame puts 14 bytes of its own in front.
     */
    public static long testRun(int programFd, byte[] packet) {
        if (SYS_BPF < 0) {
            return -ENOSYS;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(Math.max(1, packet.length), 8);
            MemorySegment.copy(packet, 0, data, ValueLayout.JAVA_BYTE, 0, packet.length);
            MemorySegment attr = arena.allocate(TEST_ATTR_BYTES, 8);
            attr.set(JAVA_INT, TEST_PROG_FD, programFd);
            attr.set(JAVA_INT, TEST_DATA_SIZE_IN, packet.length);
            attr.set(JAVA_LONG, TEST_DATA_IN, data.address());
            attr.set(JAVA_INT, TEST_REPEAT, 1);
            int r = call(arena.allocate(CALL_STATE), BPF_PROG_TEST_RUN, attr, TEST_ATTR_BYTES);
            if (r < 0) {
                return r;
            }
            return Integer.toUnsignedLong(attr.get(JAVA_INT, TEST_RETVAL));
        }
    }

    /** bpf(cmd, attr, size): the result, or -errno. */
    private static int call(MemorySegment state, int command, MemorySegment attr, int size) {
        try {
            long r = (long) SYSCALL.invokeExact(state, SYS_BPF, command, attr, size);
            return r < 0 ? -state.get(JAVA_INT, ERRNO_OFFSET) : (int) r;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed to link or run", t);
        }
    }
}
