package dev.netstack.nic.pci;

import dev.netstack.nic.pci.PciException.Reason;
import dev.netstack.runtime.os.Linux;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One PCI function, reached through Linux sysfs ({@code /sys/bus/pci/devices/BDF/}, see the
 * kernel's Documentation/PCI/sysfs-pci.rst): identity, configuration space, kernel driver, BARs.
 *
 * <p>Life cycle: {@link #open} only reads (identity, driver). {@link #takeFromKernel()} refuses
 * any device that is not a NIC netstack drives ({@code virtio-pci} with a virtio network child,
 * {@code ixgbe}, or no driver) or whose interface carries the default route, and otherwise
 * unbinds the kernel driver. {@link #close()} unmaps the BARs, turns bus mastering off and binds
 * the original driver again. The caller resets the device (stopping its DMA) before closing.
 *
 * <p>Configuration space is read and written with pread/pwrite on the {@code config} file
 * (PCI Local Bus Specification 3.0 §6.1 for the header layout); memory BARs are mapped from
 * {@code resourceN}; I/O BARs are read and written through {@code resourceN} ({@link IoBar}).
 *
 * <p>Not thread-safe: one control thread opens, configures and closes; the data path only touches
 * the mapped segments and I/O BARs it was given.
 */
public final class PciDevice implements AutoCloseable {

    /** The sysfs directory of all PCI devices. */
    public static final Path SYSFS_DEVICES = Path.of("/sys/bus/pci/devices");

    // PCI 3.0 §6.1 configuration header offsets
    public static final int CONFIG_VENDOR_ID = 0x00;
    public static final int CONFIG_DEVICE_ID = 0x02;
    public static final int CONFIG_COMMAND = 0x04;
    public static final int CONFIG_STATUS = 0x06;
    public static final int CONFIG_CAPABILITIES_POINTER = 0x34;
    public static final int COMMAND_IO_SPACE = 1;
    public static final int COMMAND_MEMORY_SPACE = 1 << 1;
    public static final int COMMAND_BUS_MASTER = 1 << 2;
    public static final int STATUS_CAPABILITIES_LIST = 1 << 4;
    /** MSI-X capability ID (PCI 3.0 §6.8.2). */
    public static final int CAPABILITY_MSIX = 0x11;
    /** Vendor-specific capability ID, used by virtio 1.x (§4.1.4). */
    public static final int CAPABILITY_VENDOR = 0x09;

    /** Kernel drivers netstack may take a device from. */
    public static final Set<String> NIC_DRIVERS = Set.of("virtio-pci", "ixgbe");
    /** virtio device ID of a network device in the virtio bus's {@code device} attribute (virtio 1.x §5). */
    private static final int VIRTIO_ID_NET = 1;

    private static final int IORESOURCE_IO = 0x100;
    private static final int IORESOURCE_MEM = 0x200;

    private final PciAddress address;
    private final Path dir;
    private final Path driversDir;
    private final Path routeTable;
    private final int vendorId;
    private final int deviceId;
    private final int classCode;
    private final String kernelDriver;
    private final Linux linux = new Linux();
    private final List<long[]> mappings = new ArrayList<>();
    private final List<IoBar> ioBars = new ArrayList<>();
    private FileChannel config;
    private boolean unbound;
    private boolean closed;

    private PciDevice(PciAddress address, Path devicesDir, Path routeTable) {
        this.address = address;
        this.dir = devicesDir.resolve(address.toString());
        this.driversDir = devicesDir.getParent().resolve("drivers");
        this.routeTable = routeTable;
        if (!Files.isDirectory(dir)) {
            throw PciException.noSuchDevice(address);
        }
        this.vendorId = readHexAttribute("vendor");
        this.deviceId = readHexAttribute("device");
        this.classCode = readHexAttribute("class");
        this.kernelDriver = driverName();
    }

    /** Opens the device at {@code address} (see {@link PciAddress#parse}) for reading only. */
    public static PciDevice open(String address) {
        return new PciDevice(PciAddress.parse(address), SYSFS_DEVICES, Path.of("/proc/net/route"));
    }

    /**
     * Opens a device under another sysfs tree (tests use a model of one); {@code routeTable} is
     * read in the format of {@code /proc/net/route}.
     */
    public static PciDevice open(PciAddress address, Path devicesDir, Path routeTable) {
        return new PciDevice(address, devicesDir, routeTable);
    }

    public PciAddress address() {
        return address;
    }

    public int vendorId() {
        return vendorId;
    }

    public int deviceId() {
        return deviceId;
    }

    /** Class code: base class, subclass, programming interface (0x020000 is an Ethernet controller). */
    public int classCode() {
        return classCode;
    }

    /** The kernel driver bound when the device was opened, or null. */
    public String kernelDriver() {
        return kernelDriver;
    }

    /** The kernel driver bound now, or null. */
    public String driverName() {
        Path link = dir.resolve("driver");
        try {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Takes the device from its kernel driver, if it has one that netstack may take it from, and
     * remembers the driver so {@link #close()} binds it again.
     *
     * @throws PciException if the driver is not a NIC driver netstack drives, the device is not a
     *         network device, or its interface carries the default route
     */
    public void takeFromKernel() {
        checkOpen();
        String driver = driverName();
        if (driver == null) {
            return;
        }
        if (!NIC_DRIVERS.contains(driver)) {
            throw new PciException(Reason.IN_USE, "PCI device " + address + " is driven by the kernel's " + driver
                    + " driver, which is not a NIC driver netstack takes devices from: choose a virtio-net or"
                    + " 82599 device.");
        }
        if (driver.equals("virtio-pci")) {
            int type = virtioDeviceType();
            if (type != VIRTIO_ID_NET) {
                throw new PciException(Reason.WRONG_DEVICE, "PCI device " + address + " is a virtio device of type "
                        + type + ", not a network device (type 1): choose a virtio-net device.");
            }
        }
        String routed = defaultRouteInterface();
        if (routed != null) {
            throw new PciException(Reason.IN_USE, "PCI device " + address + " is interface " + routed
                    + ", which carries this machine's default route: netstack will not take it from the kernel.");
        }
        writeAttribute(dir.resolve("driver").resolve("unbind"), address.toString(), "unbind the kernel driver of");
        unbound = true;
    }

    /** The virtio device type of the virtio bus device below this PCI device, or -1. */
    private int virtioDeviceType() {
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.filter(p -> p.getFileName().toString().startsWith("virtio")).toList()) {
                Path type = child.resolve("device");
                if (Files.exists(type)) {
                    return Integer.decode(Files.readString(type).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** The name of this device's network interface that carries a default route, or null. */
    private String defaultRouteInterface() {
        Set<String> interfaces = new TreeSet<>();
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.toList()) {
                String name = child.getFileName().toString();
                Path net = name.equals("net") ? child : name.startsWith("virtio") ? child.resolve("net") : null;
                if (net != null && Files.isDirectory(net)) {
                    try (Stream<Path> names = Files.list(net)) {
                        names.forEach(p -> interfaces.add(p.getFileName().toString()));
                    }
                }
            }
            if (interfaces.isEmpty() || !Files.exists(routeTable)) {
                return null;
            }
            for (String line : Files.readAllLines(routeTable)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1 && f[1].equals("00000000") && interfaces.contains(f[0])) {
                    return f[0];
                }
            }
        } catch (IOException e) {
            throw new PciException(Reason.IO_ERROR, "Cannot check whether PCI device " + address
                    + " carries the default route: " + e.getMessage() + ".");
        }
        return null;
    }

    /** Sets bus mastering (so the device may DMA) and memory and I/O decoding in the command register. */
    public void enableBusMastering() {
        int command = readConfig16(CONFIG_COMMAND);
        int wanted = command | COMMAND_BUS_MASTER | COMMAND_MEMORY_SPACE | COMMAND_IO_SPACE;
        if (wanted != command) {
            writeConfig16(CONFIG_COMMAND, wanted);
        }
    }

    public int readConfig8(int offset) {
        return readConfig(offset, 1) & 0xff;
    }

    public int readConfig16(int offset) {
        return readConfig(offset, 2) & 0xffff;
    }

    public int readConfig32(int offset) {
        return readConfig(offset, 4);
    }

    public void writeConfig16(int offset, int value) {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) value);
        try {
            if (configChannel().write(b, offset) != 2) {
                throw new PciException(Reason.IO_ERROR, "Short write to the configuration space of " + address + ".");
            }
        } catch (IOException e) {
            throw ioFailure("write the configuration space of", e);
        }
    }

    private int readConfig(int offset, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        b.limit(bytes);
        try {
            int n = configChannel().read(b, offset);
            if (n != bytes) {
                throw new PciException(Reason.NOT_PERMITTED, "Could read only " + Math.max(n, 0) + " bytes of the"
                        + " configuration space of " + address + " at " + offset + ": run as root.");
            }
        } catch (IOException e) {
            throw ioFailure("read the configuration space of", e);
        }
        b.clear();
        return b.getInt(0);
    }

    private FileChannel configChannel() throws IOException {
        checkOpen();
        if (config == null) {
            Path path = dir.resolve("config");
            try {
                config = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (AccessDeniedException e) {
                config = FileChannel.open(path, StandardOpenOption.READ);
            }
        }
        return config;
    }

    /**
     * Offsets in configuration space of every capability with ID {@code id}, in list order
     * (PCI 3.0 §6.7); empty if the device has none or no capability list.
     */
    public int[] capabilities(int id) {
        if ((readConfig16(CONFIG_STATUS) & STATUS_CAPABILITIES_LIST) == 0) {
            return new int[0];
        }
        int[] found = new int[48];
        int count = 0;
        int at = readConfig8(CONFIG_CAPABILITIES_POINTER) & 0xfc;
        for (int guard = 0; at >= 0x40 && guard < 48; guard++) { // 48 = most capabilities in 192 bytes
            if (readConfig8(at) == id) {
                found[count++] = at;
            }
            at = readConfig8(at + 1) & 0xfc;
        }
        return java.util.Arrays.copyOf(found, count);
    }

    /** Whether MSI-X is enabled (bit 15 of the MSI-X message control, PCI 3.0 §6.8.2.3). */
    public boolean isMsixEnabled() {
        for (int at : capabilities(CAPABILITY_MSIX)) {
            if ((readConfig16(at + 2) & 0x8000) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Start, size and flags of BAR {@code bar} from the {@code resource} file; size 0 if absent. */
    private long[] resource(int bar) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("resource"));
            if (bar < 0 || bar >= lines.size()) {
                return new long[] {0, 0, 0};
            }
            String[] f = lines.get(bar).trim().split("\\s+");
            long start = Long.decode(f[0]);
            long end = Long.decode(f[1]);
            long flags = Long.decode(f[2]);
            return new long[] {start, end > start ? end - start + 1 : 0, flags};
        } catch (IOException | RuntimeException e) {
            throw new PciException(Reason.IO_ERROR, "Cannot read the resources of PCI device " + address + ".");
        }
    }

    /**
     * Maps memory BAR {@code bar} ({@code resourceN}) into this process, uncached; valid until
     * {@link #close()}.
     */
    public MemorySegment mapBar(int bar) {
        checkOpen();
        long[] r = resource(bar);
        if (r[1] == 0 || (r[2] & IORESOURCE_MEM) == 0) {
            throw new PciException(Reason.WRONG_DEVICE, "BAR " + bar + " of PCI device " + address
                    + " is not a memory BAR: the device is not the kind the driver expects.");
        }
        String path = dir.resolve("resource" + bar).toString();
        int fd = linux.open(path, Linux.O_RDWR | Linux.O_SYNC | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw PciException.failed("open", path, -fd);
        }
        try {
            long at = linux.mmap(0, r[1], Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0);
            if (at < 0) {
                throw PciException.failed("map", path, (int) -at);
            }
            mappings.add(new long[] {at, r[1]});
            return MemorySegment.ofAddress(at).reinterpret(r[1]);
        } finally {
            linux.close(fd);
        }
    }

    /** Opens I/O BAR {@code bar} ({@code resourceN}) for port reads and writes; closed by {@link #close()}. */
    public IoBar ioBar(int bar) {
        checkOpen();
        long[] r = resource(bar);
        if (r[1] == 0 || (r[2] & IORESOURCE_IO) == 0) {
            throw new PciException(Reason.WRONG_DEVICE, "BAR " + bar + " of PCI device " + address
                    + " is not an I/O BAR: the device is not the kind the driver expects.");
        }
        IoBar io = IoBar.open(dir.resolve("resource" + bar).toString(), r[1]);
        ioBars.add(io);
        return io;
    }

    /**
     * Unmaps the BARs, turns bus mastering off and binds the kernel driver the device had when it
     * was opened. Idempotent. Reset the device before calling this.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (long[] m : mappings) {
            linux.munmap(m[0], m[1]);
        }
        mappings.clear();
        for (IoBar io : ioBars) {
            io.close();
        }
        ioBars.clear();
        RuntimeException failure = null;
        if (unbound) {
            try {
                int command = readConfig16(CONFIG_COMMAND);
                writeConfig16(CONFIG_COMMAND, command & ~COMMAND_BUS_MASTER);
            } catch (RuntimeException e) {
                failure = e; // still give the device back below
            }
        }
        try {
            if (config != null) {
                config.close();
            }
        } catch (IOException ignored) {
            // nothing was buffered
        }
        closed = true;
        if (unbound && kernelDriver != null) {
            unbound = false;
            writeAttribute(driversDir.resolve(kernelDriver).resolve("bind"), address.toString(),
                    "bind the " + kernelDriver + " driver again to");
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("PCI device " + address + " is closed");
        }
    }

    private int readHexAttribute(String name) {
        Path path = dir.resolve(name);
        try {
            return Integer.decode(Files.readString(path).trim());
        } catch (NoSuchFileException e) {
            throw PciException.noSuchDevice(address);
        } catch (IOException | NumberFormatException e) {
            throw new PciException(Reason.IO_ERROR, "Cannot read " + path + ": " + e.getMessage() + ".");
        }
    }

    private void writeAttribute(Path path, String value, String action) {
        try {
            Files.write(path, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new PciException(Reason.NOT_PERMITTED, "Not permitted to " + action + " PCI device " + address
                    + ": run as root.");
        } catch (IOException e) {
            throw ioFailure(action, e);
        }
    }

    private PciException ioFailure(String action, IOException e) {
        return new PciException(Reason.IO_ERROR, "Cannot " + action + " PCI device " + address + ": "
                + e.getMessage() + ".");
    }

    @Override
    public String toString() {
        return String.format("PciDevice[%s %04x:%04x class %06x driver %s]", address, vendorId, deviceId, classCode,
                driverName());
    }
}
