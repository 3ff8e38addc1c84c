package dev.netstack.embedded;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.ProvisionException;
import com.google.inject.spi.Message;
import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.Pinger;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.RoutingTable;
import dev.netstack.ip.internal.InterfaceAddressComponent;
import dev.netstack.ip.internal.InterfaceAddressConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.internal.RouteComponent;
import dev.netstack.ip.internal.RouteConfig;
import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.PcapWriter;
import dev.netstack.nic.QueueDevice;
import dev.netstack.nic.SteeringDevice;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.NanoClock;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.Shard;
import dev.netstack.runtime.internal.RuntimeComponent;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running stack in embedded mode: one interface over a TAP (or any {@link NetDevice}), Ethernet
 * and ARP, IPv4 and ICMP, on one shard, assembled by {@link NetStackModule} from the same classes
 * as the OSGi distribution.
 *
 * <pre>{@code
 * try (NetStack stack = NetStack.builder().tap("ns0").hostAddress("198.18.0.1/24")
 *         .address("198.18.0.2/24").build()) {
 *     stack.pinger().ping(Ipv4Address.parse("198.18.0.1"), Pinger.Options.defaults(), null).join();
 * }
 * }</pre>
 *
 * <p>Guice builds it from {@link Builder#module()} (with {@code injector.getInstance(NetStack.class)});
 * {@link Builder#build()} does just that. The constructor does what DS does under OSGi: binds the
 * device to the link layer, the network layer as IPv4 handler and interface listener, the transport
 * handlers by protocol, and applies the address and route configurations.
 *
 * <p>Control methods may be called from any thread; those that read shard state run on the shard
 * and wait for it.
 */
public final class NetStack implements AutoCloseable {

    private static final long CONTROL_TIMEOUT_MS = 5_000;

    private final Settings settings;
    private final Resources resources;
    private final NetStackModule.Shards shards;
    private final NetDevice device;
    private final EthernetLayer ethernet;
    private final Ipv4Layer ipv4;
    private final Map<Integer, ProtocolHandler> protocols;
    private final Map<Integer, EtherTypeHandler> etherTypes;
    private final List<AutoCloseable> configurations = new ArrayList<>();
    private final NetInterface netInterface;
    private boolean closed;
    /** Every lane of this stack, this one first if it is the stack a builder returned. */
    private List<NetStack> lanes = List.of(this);
    /** What a multi-shard stack owns beside its lanes: closed after them. Null otherwise. */
    private RuntimeComponent laneRuntime;
    private NetDevice laneDevice;
    private Injector injector;

    @Inject
    NetStack(Settings settings, Resources resources, NetStackModule.Shards shards, NetDevice device,
            EthernetLayer ethernet, Ipv4Layer ipv4, Map<Integer, ProtocolHandler> protocols,
            Map<Integer, EtherTypeHandler> etherTypes) {
        this.settings = settings;
        this.resources = resources;
        this.shards = shards;
        this.device = device;
        this.ethernet = ethernet;
        this.ipv4 = ipv4;
        this.protocols = Map.copyOf(protocols);
        this.etherTypes = Map.copyOf(etherTypes);
        try {
            // What DS does through the registry: whiteboards, listeners, the device service.
            ethernet.addHandler(0x0800, ipv4);
            etherTypes.forEach(ethernet::addHandler);
            protocols.forEach(ipv4::bindProtocol);
            ethernet.addListener(ipv4);
            String name = settings.effectiveInterfaceName();
            if (settings.address() != null) {
                InterfaceAddressComponent address = new InterfaceAddressComponent(ipv4, Configs.of(
                        InterfaceAddressConfig.class, Map.of("name", name, "address", settings.address())));
                configurations.add(address::close);
            }
            this.netInterface = ethernet.addDevice(device, name);
            for (Settings.RouteSpec spec : settings.routes()) {
                RouteComponent route = new RouteComponent(ipv4, Configs.of(RouteConfig.class, spec.properties()));
                configurations.add(route::close);
            }
        } catch (RuntimeException e) {
            shutdown();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The link layer (Ethernet, ARP). */
    public LinkLayer linkLayer() {
        return ethernet;
    }

    /** The network layer (IPv4, ICMP), for transports. */
    public NetworkLayer networkLayer() {
        return ipv4;
    }

    public Pinger pinger() {
        return ipv4;
    }

    public RoutingTable routingTable() {
        return ipv4;
    }

    /** The stack's one interface. */
    public NetInterface netInterface() {
        return netInterface;
    }

    /** The device the link layer drives: the outermost wrapper (fault injection, capture) if any. */
    public NetDevice device() {
        return device;
    }

    public Shard shard() {
        return shards.loop();
    }

    /** The stack's MAC address (the device's). */
    public long macAddress() {
        return device.macAddress();
    }

    /**
     * Every counter, by scope and name, read on the shard: {@code ethernet}, {@code ip}, {@code icmp}
     * (drops by reason as the layers name them, e.g. {@code ip} / {@code hdr-bad-checksum}),
     * {@code device} (rx/tx packets, bytes, drops, errors over all queues) and, with fault
     * injection, {@code fault} (per direction).
     */
    public Map<String, Map<String, Long>> counters() {
        return onShard(() -> {
            Map<String, Map<String, Long>> all = new LinkedHashMap<>();
            for (Counters c : List.of(ethernet.counters(), ipv4.counters(), ipv4.icmpCounters())) {
                all.put(c.scope(), c.snapshot());
            }
            Map<String, Long> dev = new LinkedHashMap<>();
            DeviceCounters sum = new DeviceCounters();
            for (int q = 0; q < device.queueCount(); q++) {
                DeviceCounters c = device.counters(q);
                sum.rxPackets += c.rxPackets;
                sum.rxBytes += c.rxBytes;
                sum.rxDropped += c.rxDropped;
                sum.rxErrors += c.rxErrors;
                sum.txPackets += c.txPackets;
                sum.txBytes += c.txBytes;
                sum.txDropped += c.txDropped;
                sum.txErrors += c.txErrors;
            }
            dev.put("rx-packets", sum.rxPackets);
            dev.put("rx-bytes", sum.rxBytes);
            dev.put("rx-dropped", sum.rxDropped);
            dev.put("rx-errors", sum.rxErrors);
            dev.put("tx-packets", sum.txPackets);
            dev.put("tx-bytes", sum.txBytes);
            dev.put("tx-dropped", sum.txDropped);
            dev.put("tx-errors", sum.txErrors);
            all.put("device", dev);
            if (device instanceof FaultInjectingDevice faulty) {
                Map<String, Long> faults = new LinkedHashMap<>();
                for (int q = 0; q < faulty.queueCount(); q++) {
                    FaultInjectingDevice.FaultCounters rx = faulty.rxFaults(q);
                    FaultInjectingDevice.FaultCounters tx = faulty.txFaults(q);
                    if (rx != null) {
                        faults.merge("rx-dropped", rx.dropped, Long::sum);
                        faults.merge("rx-corrupted", rx.corrupted, Long::sum);
                        faults.merge("rx-duplicated", rx.duplicated, Long::sum);
                        faults.merge("rx-reordered", rx.reordered, Long::sum);
                    }
                    if (tx != null) {
                        faults.merge("tx-dropped", tx.dropped, Long::sum);
                        faults.merge("tx-corrupted", tx.corrupted, Long::sum);
                        faults.merge("tx-duplicated", tx.duplicated, Long::sum);
                        faults.merge("tx-reordered", tx.reordered, Long::sum);
                    }
                }
                all.put("fault", faults);
            }
            return all;
        });
    }

    /** One counter, e.g. {@code counter("ip", "hdr-bad-checksum")}; fails for an unknown name. */
    public long counter(String scope, String name) {
        Map<String, Long> inScope = counters().get(scope);
        if (inScope == null || !inScope.containsKey(name)) {
            throw new IllegalArgumentException("no counter " + scope + "/" + name + "; the counters are " + counters());
        }
        return inScope.get(name);
    }

    /**
     * Buffers in use per pool, read on the shard: every queue's device pool and the network layer's
     * reassembly pool. At rest (nothing in flight, no fragments waiting) they are back at their
     * baseline; a buffer that never comes back is a leak.
     */
    public Map<String, Integer> pools() {
        return onShard(() -> {
            Map<String, Integer> inUse = new LinkedHashMap<>();
            for (PacketPool pool : poolList()) {
                inUse.put(pool.name(), pool.inUse());
            }
            return inUse;
        });
    }

    /** The pools behind {@link #pools()}, for {@code LeakCheck} in simulation (manual clock) tests. */
    public List<PacketPool> poolList() {
        List<PacketPool> pools = new ArrayList<>();
        for (int q = 0; q < device.queueCount(); q++) {
            if (!pools.contains(device.pool(q))) {
                pools.add(device.pool(q));
            }
        }
        pools.add(ipv4.largePool());
        return pools;
    }

    /**
     * Stops the capture started with {@link Builder#capture} and closes its file, so it can be read
     * while the stack runs on. Returns the number of frames written, or -1 if none was running.
     */
    public long stopCapture() {
        NetDevice d = device instanceof FaultInjectingDevice f ? f.inner() : device;
        if (d instanceof CapturingDevice capturing) {
            PcapWriter writer = capturing.stop();
            return writer == null ? -1 : writer.frames();
        }
        return -1;
    }

    /**
     * Runs one turn of the shard at {@code nowNs}. Only for stacks built with
     * {@link Builder#manualClock}: they have no thread, the caller drives them.
     */
    public int runTurn(long nowNs) {
        if (!shards.manual()) {
            throw new IllegalStateException("this stack runs on its own shard thread; runTurn is for a manual clock");
        }
        return shards.loop().runTurn(nowNs);
    }

    /** Runs {@code call} on the shard and waits for its result (at once on a manual or the own shard). */
    public <T> T onShard(Callable<T> call) {
        Shard shard = shards.loop();
        try {
            if (shard.inShard() || shards.manual() || !shards.loop().isRunning()) {
                return call.call();
            }
            CompletableFuture<T> result = new CompletableFuture<>();
            boolean queued = shard.execute(() -> {
                try {
                    result.complete(call.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            if (!queued) {
                throw new IllegalStateException("shard " + shard.id() + " is not taking commands (its queue is full)");
            }
            return result.get(CONTROL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("shard " + shard.id() + " did not answer within " + CONTROL_TIMEOUT_MS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for shard " + shard.id());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops everything: configurations withdrawn, the device detached from the link layer, the
     * network layer cleared, the shard thread stopped, the device closed (the TAP disappears).
     * Transport handlers are unbound but not closed: whoever made them closes them (with a manual
     * clock, before this; with a shard thread, before this too, since their close runs on the shard).
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (lanes.size() > 1 && lanes.getFirst() == this) {
            for (int i = lanes.size() - 1; i > 0; i--) {
                lanes.get(i).close();
            }
        }
        shutdown();
        if (laneRuntime != null) {
            laneRuntime.close();
        }
        if (laneDevice != null) {
            laneDevice.close();
        }
    }

    // ================================================================ lanes

    /**
     * The lanes of this stack, one per shard: each a complete stack (Ethernet, ARP, IPv4, the
     * transports of the builder's modules) over one queue of the device, on its own shard thread.
     * The stack a builder returns is lane 0, which serves everything but TCP (ARP, ICMP, UDP,
     * fragments) and tells the other lanes the neighbours it learns; TCP flows spread over all
     * lanes by the device's steering. One element for a one-shard stack.
     */
    public List<NetStack> lanes() {
        return lanes;
    }

    /**
     * An instance built by this lane's injector, such as the {@code TcpStack} or {@code UdpProtocol}
     * a protocol module bound: each lane has its own.
     */
    public <T> T component(Class<T> type) {
        if (injector == null) {
            throw new IllegalStateException("this stack was not built by NetStack.Builder.build()");
        }
        return injector.getInstance(type);
    }

    private void shutdown() {
        for (int i = configurations.size() - 1; i >= 0; i--) {
            try {
                configurations.get(i).close();
            } catch (Exception e) {
                System.getLogger(NetStack.class.getName()).log(System.Logger.Level.WARNING, "closing a configuration failed", e);
            }
        }
        configurations.clear();
        protocols.forEach(ipv4::unbindProtocol);
        ethernet.close();
        ipv4.close();
        if (shards.runtime() != null) {
            shards.runtime().close();
        }
        resources.closeAll();
    }

    @Override
    public String toString() {
        return "NetStack[" + settings.effectiveInterfaceName() + " " + MacAddress.format(device.macAddress()) + " "
                + (settings.address() == null ? "no address" : settings.address()) + " on " + device.description() + "]";
    }

    /**
     * Collects what a stack is built from. Either {@link #tap} (default {@code ns0}) or
     * {@link #device}; everything else is optional.
     */
    public static final class Builder {
        private String interfaceName;
        private String tap = "ns0";
        private String namespace;
        private String hostAddress;
        private String mac;
        private int mtu;
        private int poolBuffers;
        private NetDevice device;
        private String address;
        private final List<Settings.RouteSpec> routes = new ArrayList<>();
        private FaultPlan fault;
        private Path capture;
        private String idle = "backoff";
        private NanoClock manualClock;
        private final Map<String, Object> ethernet = new LinkedHashMap<>();
        private final Map<String, Object> ip = new LinkedHashMap<>();
        private final Map<Integer, ProtocolHandler> protocols = new LinkedHashMap<>();
        private final Map<Integer, EtherTypeHandler> etherTypes = new LinkedHashMap<>();
        private final List<Module> modules = new ArrayList<>();
        private int shards = 1;
        private String cpus = "";
        private NetStack runOn;

        private Builder() {
        }

        /**
         * Runs the stack on {@code count} shard threads, one lane per shard over one queue each: the
         * device must have that many queues (a TAP is opened with that many). Default 1.
         */
        public Builder shards(int count) {
            if (count < 1 || count > RuntimeComponent.MAX_SHARDS) {
                throw new IllegalArgumentException("shards must be from 1 to " + RuntimeComponent.MAX_SHARDS + ", got " + count);
            }
            this.shards = count;
            return this;
        }

        /** Pins the shard threads to these CPUs, one per shard (a Linux CPU list such as {@code 2,3}). */
        public Builder cpus(String cpuList) {
            this.cpus = requireText(cpuList, "cpus");
            return this;
        }

        /**
         * Runs this stack's lanes on the shard threads of {@code other} (lane i on its shard i), so
         * that two stacks joined by an in-memory link share cores: one thread serves both ends of
         * the flows it owns. The other stack owns the threads: close this one first.
         */
        public Builder runOn(NetStack other) {
            this.runOn = Objects.requireNonNull(other, "other");
            return this;
        }

        /** The stack's interface name (default: the device's name, or {@code eth0} for a TAP). */
        public Builder name(String name) {
            this.interfaceName = requireText(name, "name");
            return this;
        }

        /** Runs over a TAP with this name (created now, removed on close). The default is {@code ns0}. */
        public Builder tap(String tapName) {
            this.tap = requireText(tapName, "tap");
            return this;
        }

        /** Creates the TAP inside this network namespace ({@code ip netns add NAME}); needs root. */
        public Builder namespace(String name) {
            this.namespace = requireText(name, "namespace");
            return this;
        }

        /** Gives the kernel side of the TAP this address, like {@code 198.18.0.1/24}, and brings it up. */
        public Builder hostAddress(String cidr) {
            this.hostAddress = requireText(cidr, "hostAddress");
            return this;
        }

        /** The stack's MAC on the TAP, like {@code 02:00:00:00:00:02} (default: derived from the TAP name). */
        public Builder mac(String mac) {
            this.mac = requireText(mac, "mac");
            return this;
        }

        /** The TAP's MTU (default 1500). */
        public Builder mtu(int mtu) {
            this.mtu = mtu;
            return this;
        }

        /** Buffers in the TAP's pool (default 4096). */
        public Builder poolBuffers(int buffers) {
            this.poolBuffers = buffers;
            return this;
        }

        /** Runs over this device instead of a TAP, e.g. a {@code MemoryLink} end; the stack closes it. */
        public Builder device(NetDevice device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** The interface's IPv4 address with prefix, like {@code 198.18.0.2/24}. */
        public Builder address(String cidr) {
            this.address = requireText(cidr, "address");
            return this;
        }

        /** A default route through {@code gateway} (an IPv4 address on the interface's network). */
        public Builder gateway(String gateway) {
            return route("default", gateway);
        }

        /** A static route to {@code destination} (CIDR or {@code default}) through {@code gateway}. */
        public Builder route(String destination, String gateway) {
            routes.add(new Settings.RouteSpec(requireText(destination, "destination"), requireText(gateway, "gateway"), null));
            return this;
        }

        /** Wraps the device in a {@link FaultInjectingDevice} with this plan. */
        public Builder fault(FaultPlan plan) {
            this.fault = Objects.requireNonNull(plan, "plan");
            return this;
        }

        /** Writes every frame received and sent to this pcap file (what {@code tshark -r} reads). */
        public Builder capture(Path file) {
            this.capture = Objects.requireNonNull(file, "file");
            return this;
        }

        /** The shard's idle strategy: {@code backoff} (default), {@code spin}, {@code yield} or {@code poll}. */
        public Builder idle(String strategy) {
            this.idle = requireText(strategy, "idle");
            return this;
        }

        /**
         * No shard thread: time comes from {@code clock} and the caller runs turns with
         * {@link NetStack#runTurn}, as deterministic simulations and fuzzers do.
         */
        public Builder manualClock(NanoClock clock) {
            this.manualClock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A property of {@code netstack.ethernet}, like {@code arp.retries}. */
        public Builder ethernet(String property, Object value) {
            ethernet.put(requireText(property, "property"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** A property of {@code netstack.ip}, like {@code reassembly.timeout.ms}. */
        public Builder ip(String property, Object value) {
            ip.put(requireText(property, "property"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Binds a transport handler to an IP protocol number (6 TCP, 17 UDP...). */
        public Builder protocol(int protocol, ProtocolHandler handler) {
            protocols.put(protocol, Objects.requireNonNull(handler, "handler"));
            return this;
        }

        /** Binds a link layer handler to an EtherType (IPv4 and ARP are served already). */
        public Builder etherType(int etherType, EtherTypeHandler handler) {
            etherTypes.put(etherType, Objects.requireNonNull(handler, "handler"));
            return this;
        }

        /** Installs an extra Guice module, e.g. one that adds a protocol with {@link NetStackModule#protocols}. */
        public Builder module(Module module) {
            modules.add(Objects.requireNonNull(module, "module"));
            return this;
        }

        /** The Guice module for these settings, for callers that make their own injector. */
        public NetStackModule module() {
            if (device != null && (mac != null || mtu != 0 || hostAddress != null || namespace != null || poolBuffers != 0)) {
                throw new IllegalArgumentException("mac, mtu, hostAddress, namespace and poolBuffers configure a TAP;"
                        + " a device given with device() brings its own");
            }
            return new NetStackModule(new Settings(interfaceName, tap, namespace, hostAddress, mac, mtu, poolBuffers,
                    device, address, List.copyOf(routes), fault, capture, idle, manualClock, Map.copyOf(ethernet),
                    Map.copyOf(ip), Map.copyOf(protocols), Map.copyOf(etherTypes), List.copyOf(modules), shards, cpus,
                    null));
        }

        /**
         * Builds and starts the stack.
         *
         * @throws RuntimeException the cause as the components report it (for a TAP that cannot be
         *         opened, a {@code TapException} with one sentence saying what to do); whatever was
         *         opened is closed again
         */
        public NetStack build() {
            if (shards > 1 || runOn != null) {
                return buildLanes();
            }
            NetStackModule module = module();
            try {
                Injector injector = Guice.createInjector(module);
                NetStack stack = injector.getInstance(NetStack.class);
                stack.injector = injector;
                return stack;
            } catch (CreationException e) {
                module.resources().closeAll();
                throw unwrap(e.getErrorMessages(), e);
            } catch (ProvisionException e) {
                module.resources().closeAll();
                throw unwrap(e.getErrorMessages(), e);
            }
        }

        /**
         * A stack of several lanes: the shard threads (its own, or those of {@link #runOn}), the
         * device with one queue per shard, then per shard a complete one-queue stack over a
         * {@link QueueDevice} on that shard, each network layer told its queue (so TCP picks ports
         * whose segments come back to it), and the lanes' ARP caches joined.
         */
        private NetStack buildLanes() {
            if (manualClock != null) {
                throw new IllegalArgumentException("a manual clock drives one shard by hand: shards and runOn need shard threads");
            }
            if (fault != null || capture != null) {
                throw new IllegalArgumentException("fault injection and capture wrap one queue: use them with one shard");
            }
            List<EventLoop> loops;
            RuntimeComponent runtime = null;
            if (runOn != null) {
                if (shards != 1 && shards != runOn.lanes.size()) {
                    throw new IllegalArgumentException("runOn gives this stack the " + runOn.lanes.size()
                            + " shard(s) of the other stack; shards asks for " + shards);
                }
                if (!cpus.isEmpty()) {
                    throw new IllegalArgumentException("runOn shares the other stack's threads: pin them there, not with cpus");
                }
                loops = new ArrayList<>();
                for (NetStack lane : runOn.lanes) {
                    loops.add(lane.shards.loop());
                }
            } else {
                runtime = new RuntimeComponent(Configs.of(RuntimeComponent.Config.class,
                        Map.of("shards", shards, "idle", idle, "cpus", cpus)));
                loops = runtime.shards();
            }
            int count = loops.size();
            Settings settings = module().settings();
            NetDevice laneDevice = null;
            List<NetStack> built = new ArrayList<>();
            try {
                laneDevice = device != null ? device : NetStackModule.openTap(settings, count);
                if (laneDevice.queueCount() == 1 && count > 1) {
                    laneDevice = steer(laneDevice, count, loops.getFirst());
                }
                if (laneDevice.queueCount() != count) {
                    throw new IllegalArgumentException(laneDevice.description() + " has " + laneDevice.queueCount()
                            + " queue(s); a stack of " + count + " shards needs one queue per shard");
                }
                for (int i = 0; i < count; i++) {
                    Injector injector = Guice.createInjector(new NetStackModule(settings.lane(
                            new QueueDevice(laneDevice, i), loops.get(i))));
                    NetStack lane = injector.getInstance(NetStack.class);
                    lane.injector = injector;
                    built.add(lane);
                    lane.ipv4.setLane(laneDevice, i);
                }
                List<NetStack> all = List.copyOf(built);
                List<Ipv4Layer> networkLayers = new ArrayList<>();
                for (NetStack lane : all) {
                    networkLayers.add(lane.ipv4);
                }
                for (NetStack lane : all) {
                    lane.lanes = all;
                    lane.ipv4.setLanes(networkLayers);
                    lane.ethernet.onNeighborLearned((name, address, mac) -> {
                        for (NetStack other : all) {
                            if (other != lane) {
                                other.shards.loop().execute(() -> other.ethernet.learnNeighbor(name, address, mac));
                            }
                        }
                    });
                }
                NetStack first = all.getFirst();
                first.laneRuntime = runtime;
                first.laneDevice = laneDevice;
                return first;
            } catch (RuntimeException e) {
                for (int i = built.size() - 1; i >= 0; i--) {
                    built.get(i).lanes = List.of(built.get(i));
                    built.get(i).close();
                }
                if (runtime != null) {
                    runtime.close();
                }
                if (laneDevice != null) {
                    laneDevice.close();
                }
                if (e instanceof CreationException c) {
                    throw unwrap(c.getErrorMessages(), e);
                }
                if (e instanceof ProvisionException p) {
                    throw unwrap(p.getErrorMessages(), e);
                }
                throw e;
            }
        }

        /**
         * A one-queue device feeding {@code count} lanes: a {@link SteeringDevice}, whose relaying
         * for the other lanes counts as work of shard 0 (so it does not idle while relaying) and
         * whose lanes wake shard 0 when they hand it frames to send.
         */
        private static NetDevice steer(NetDevice device, int count, EventLoop shard0) {
            SteeringDevice steering = new SteeringDevice(device, count);
            steering.setTransmitWakeup(shard0::wakeup);
            PollTask relaying = dev.netstack.runtime.Lane.relayTask(steering);
            if (!shard0.execute(() -> shard0.addTask(relaying))) {
                throw new IllegalStateException("shard 0 is not taking commands (its queue is full)");
            }
            System.getLogger(NetStack.class.getName()).log(System.Logger.Level.INFO, device.description()
                    + " has one queue: TCP flows are steered to " + count + " lanes in software (SteeringDevice)");
            return steering;
        }

        private static RuntimeException unwrap(Iterable<Message> messages, RuntimeException fallback) {
            for (Message message : messages) {
                Throwable cause = message.getCause();
                while (cause instanceof ProvisionException p && p.getCause() != null) {
                    cause = p.getCause();
                }
                if (cause instanceof RuntimeException r) {
                    return r;
                }
            }
            return fallback;
        }

        private static String requireText(String value, String what) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return value.trim();
        }
    }
}
