package dev.netstack.ethernet.internal;

import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.ethernet.InterfaceListener;
import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.ethernet.wire.EthernetHeader;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.Shard;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The link layer: interfaces over {@link NetDevice}s, Ethernet II framing (RFC 894) and ARP
 * ({@link ArpResolver}).
 *
 * <pre>
 *   NetDevice "eth0" ──▶ EthernetInterface #1 ──▶ DevicePort(queue 0..n) ──▶ Shard poll tasks
 *   (bound, replaced,    (index, name and IPv4      receive ─▶ filter by MAC ─▶ ARP, or
 *    unbound by name)     address outlive devices)  EtherTypeTable ─▶ EtherTypeHandler
 * </pre>
 *
 * <p><b>Threads.</b> Binding and unbinding devices, handlers and listeners happen on control
 * threads under this object's lock; whatever touches shard state (poll tasks, the ARP cache, the
 * transmit batches) is handed to the shard with {@link Shard#execute}, or run at once when the
 * caller already is the shard (as in simulation). The data path reads volatile, copy-on-write
 * fields only.
 *
 * <p><b>Shards.</b> This layer runs on one shard and polls every queue of its devices there. A
 * stack of several shards runs one EthernetLayer per shard (a lane), each over one queue of the
 * device ({@code QueueDevice}); ARP arrives at lane 0, which tells the others what it learns
 * ({@link #onNeighborLearned}, {@link #learnNeighbor}).
 */
@Component(service = LinkLayer.class, configurationPid = {EthernetLayer.PID, Lane.PID})
public final class EthernetLayer implements LinkLayer, AutoCloseable {

    public static final String PID = "netstack.ethernet";

    private static final System.Logger LOG = System.getLogger(EthernetLayer.class.getName());
    private static final long LOG_INTERVAL_NS = 10_000_000_000L;
    private static final long CONTROL_TIMEOUT_MS = 5_000;

    private final Shard shard;
    private final Counters counters = Counters.of("ethernet", EthernetStat.class);
    private final ArpResolver arp;
    private final long[] multicast;
    private final EthernetHeader rxHeader = new EthernetHeader();
    private final EthernetHeader txHeader = new EthernetHeader();

    private final Map<String, EthernetInterface> interfacesByName = new LinkedHashMap<>();
    /** Index i holds the interface with index i; slot 0 stays empty. */
    private volatile EthernetInterface[] interfacesByIndex = new EthernetInterface[1];
    private final Map<Integer, List<EtherTypeHandler>> handlerBindings = new LinkedHashMap<>();
    private volatile EtherTypeTable handlers = EtherTypeTable.EMPTY;
    private final List<InterfaceListener> listeners = new CopyOnWriteArrayList<>();
    private long lastDeviceErrorLogNs = Long.MIN_VALUE;
    private long lastHandlerErrorLogNs = Long.MIN_VALUE;
    private boolean closed;

    @Activate
    @Inject
    public EthernetLayer(EthernetConfig config, @Reference(target = "(shard.id=0)") Shard shard) {
        this.shard = shard;
        this.multicast = parseMulticast(config.multicast());
        this.arp = new ArpResolver(this, shard.timers(), config.arp_cache_size(),
                TimeUnit.MILLISECONDS.toNanos(config.arp_timeout_ms()), TimeUnit.MILLISECONDS.toNanos(config.arp_retry_ms()),
                config.arp_retries(), config.arp_queue_packets());
    }

    private static long[] parseMulticast(String[] macs) {
        long[] parsed = new long[macs == null ? 0 : macs.length];
        for (int i = 0; i < parsed.length; i++) {
            long mac = MacAddress.parse(macs[i]);
            if (!MacAddress.isMulticast(mac)) {
                throw new IllegalArgumentException("netstack.ethernet multicast: " + macs[i]
                        + " is not a multicast MAC (the first octet must be odd, like 01:00:5e:00:00:01)");
            }
            parsed[i] = mac;
        }
        return parsed;
    }

    /** The counters ({@code ethernet} scope), published as a service by {@link CountersPublisher}. */
    public Counters counters() {
        return counters;
    }

    /** The shard this layer runs on. */
    public Shard shard() {
        return shard;
    }

    // ================================================================ control: devices

    @Reference(name = "device", service = NetDevice.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindDevice")
    void bindDevice(NetDevice device, Map<String, Object> properties) {
        Object name = properties.get(NetDevice.NAME_PROPERTY);
        addDevice(device, name instanceof String s && !s.isBlank() ? s : device.name());
    }

    void unbindDevice(NetDevice device, Map<String, Object> properties) {
        removeDevice(device);
    }

    /** Adds a device under its own {@link NetDevice#name()}. */
    public NetInterface addDevice(NetDevice device) {
        return addDevice(device, device.name());
    }

    /**
     * Puts {@code device} under the interface {@code name}, creating the interface on first use. A
     * newer device replaces the one in use (hot swap); the interface announces itself on it.
     */
    public NetInterface addDevice(NetDevice device, String name) {
        EthernetInterface nif;
        boolean created;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the link layer is stopped");
            }
            nif = interfacesByName.get(name);
            created = nif == null;
            if (created) {
                EthernetInterface[] current = interfacesByIndex;
                nif = new EthernetInterface(this, current.length, name);
                EthernetInterface[] next = Arrays.copyOf(current, current.length + 1);
                next[nif.index()] = nif;
                interfacesByName.put(name, nif);
                interfacesByIndex = next;
            }
            nif.boundDevices.add(device);
            nif.wantedDevice = device;
            EthernetInterface target = nif;
            runOnShard(() -> attach(target, device));
        }
        LOG.log(Level.INFO, () -> "Interface " + name + ": device " + device.description() + " attached");
        for (InterfaceListener listener : listeners) {
            if (created) {
                listener.interfaceAdded(nif);
            } else {
                listener.interfaceChanged(nif);
            }
        }
        return nif;
    }

    /**
     * Takes {@code device} away. If it was in use, the newest other device bound under the same
     * name takes over; otherwise the interface stays, without a device. Returns once the shard has
     * stopped using the device (or after a timeout), so the caller may close it.
     */
    public void removeDevice(NetDevice device) {
        EthernetInterface changed = null;
        CompletableFuture<Void> detached = null;
        synchronized (this) {
            for (EthernetInterface nif : interfacesByName.values()) {
                if (nif.boundDevices.removeIf(d -> d == device)) {
                    if (nif.wantedDevice == device) {
                        NetDevice replacement = nif.boundDevices.isEmpty() ? null : nif.boundDevices.getLast();
                        nif.wantedDevice = replacement;
                        EthernetInterface target = nif;
                        detached = runOnShard(() -> attach(target, replacement));
                        changed = nif;
                    }
                    break;
                }
            }
        }
        if (changed != null) {
            await(detached); // outside the lock: shard commands may query the layer meanwhile
            EthernetInterface nif = changed;
            LOG.log(Level.INFO, () -> "Interface " + nif.name() + ": device " + device.description() + " removed");
            for (InterfaceListener listener : listeners) {
                listener.interfaceChanged(nif);
            }
        }
    }

    /** Shard thread: makes {@code device} (or none) the device of {@code nif}. */
    private void attach(EthernetInterface nif, NetDevice device) {
        if (nif.device() == device) {
            return;
        }
        for (DevicePort port : nif.ports()) {
            shard.removeTask(port);
            port.close();
        }
        arp.deviceDetached(nif);
        if (device == null) {
            nif.attach(null, new DevicePort[0]);
            return;
        }
        // Queue q goes to shard q % shards; with one shard, this one owns them all.
        int queues = device.queueCount();
        DevicePort[] ports = new DevicePort[queues];
        for (int q = 0; q < queues; q++) {
            ports[q] = new DevicePort(this, nif, device, q);
        }
        nif.attach(device, ports);
        for (DevicePort port : ports) {
            shard.addTask(port);
        }
        if (device.isLinkUp()) {
            arp.announce(nif, shard.clock().nanoTime()); // RFC 5227 §3: announce on the new device
        }
    }

    /** Shard thread: the link of {@code nif}'s device went from down to up. */
    void linkCameUp(EthernetInterface nif, long nowNs) {
        arp.announce(nif, nowNs);
    }

    /** Called by {@link EthernetInterface#setIpv4Address}: announce the new address. */
    void addressChanged(EthernetInterface nif) {
        runOnShard(() -> arp.announce(nif, shard.clock().nanoTime()));
    }

    // ================================================================ control: handlers and listeners

    @Reference(name = "handler", service = EtherTypeHandler.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindHandler")
    void bindHandler(EtherTypeHandler handler, Map<String, Object> properties) {
        int etherType = parseEtherType(properties.get(EtherTypeHandler.ETHER_TYPE_PROPERTY));
        if (etherType < 0) {
            LOG.log(Level.WARNING, () -> "Ignoring EtherTypeHandler " + handler + ": its ether.type property "
                    + properties.get(EtherTypeHandler.ETHER_TYPE_PROPERTY) + " is not an EtherType like 0x0800 (0x0600..0xffff).");
            return;
        }
        addHandler(etherType, handler);
    }

    void unbindHandler(EtherTypeHandler handler, Map<String, Object> properties) {
        int etherType = parseEtherType(properties.get(EtherTypeHandler.ETHER_TYPE_PROPERTY));
        if (etherType >= 0) {
            removeHandler(etherType, handler);
        }
    }

    /** An EtherType from an Integer, a Number or a string ({@code 0x0800} or {@code 2048}); -1 if none. */
    static int parseEtherType(Object value) {
        long type;
        if (value instanceof Number n) {
            type = n.longValue();
        } else if (value instanceof String s) {
            String text = s.trim().toLowerCase(java.util.Locale.ROOT);
            try {
                type = text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
            } catch (NumberFormatException e) {
                return -1;
            }
        } else {
            return -1;
        }
        return type >= EthernetHeader.MIN_ETHER_TYPE && type <= 0xFFFF ? (int) type : -1;
    }

    /** Routes frames of {@code etherType} to {@code handler}; the newest handler of a type wins. */
    public synchronized void addHandler(int etherType, EtherTypeHandler handler) {
        if (etherType == EthernetHeader.ETHER_TYPE_ARP) {
            throw new IllegalArgumentException("ARP (0x0806) is handled by the link layer itself");
        }
        if (etherType < EthernetHeader.MIN_ETHER_TYPE || etherType > 0xFFFF) {
            throw new IllegalArgumentException("not an EtherType (0x0600..0xffff): 0x" + Integer.toHexString(etherType));
        }
        handlerBindings.computeIfAbsent(etherType, t -> new ArrayList<>(1)).add(handler);
        rebuildHandlers();
    }

    public synchronized void removeHandler(int etherType, EtherTypeHandler handler) {
        List<EtherTypeHandler> bound = handlerBindings.get(etherType);
        if (bound != null && bound.removeIf(h -> h == handler)) {
            if (bound.isEmpty()) {
                handlerBindings.remove(etherType);
            }
            rebuildHandlers();
        }
    }

    private void rebuildHandlers() {
        Map<Integer, EtherTypeHandler> newest = new LinkedHashMap<>();
        handlerBindings.forEach((type, list) -> newest.put(type, list.getLast()));
        handlers = new EtherTypeTable(newest);
    }

    @Reference(name = "listener", service = InterfaceListener.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "removeListener")
    public void addListener(InterfaceListener listener) {
        List<EthernetInterface> existing;
        synchronized (this) {
            listeners.add(listener);
            existing = new ArrayList<>(interfacesByName.values());
        }
        for (EthernetInterface nif : existing) {
            listener.interfaceAdded(nif);
        }
    }

    public void removeListener(InterfaceListener listener) {
        listeners.remove(listener);
    }

    /** Detaches every device; interfaces are reported removed. */
    @Deactivate
    @Override
    public void close() {
        List<EthernetInterface> all;
        CompletableFuture<Void> stopped;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(interfacesByName.values());
            stopped = runOnShard(() -> {
                for (EthernetInterface nif : all) {
                    attach(nif, null);
                }
                arp.clear();
            });
        }
        await(stopped);
        for (EthernetInterface nif : all) {
            for (InterfaceListener listener : listeners) {
                listener.interfaceRemoved(nif);
            }
        }
    }

    // ================================================================ control: queries and ARP table

    @Override
    public List<NetInterface> interfaces() {
        EthernetInterface[] current = interfacesByIndex;
        List<NetInterface> list = new ArrayList<>(current.length);
        for (int i = 1; i < current.length; i++) {
            list.add(current[i]);
        }
        return List.copyOf(list);
    }

    @Override
    public synchronized NetInterface interfaceByName(String name) {
        return interfacesByName.get(name);
    }

    @Override
    public NetInterface interfaceByIndex(int index) {
        EthernetInterface[] current = interfacesByIndex;
        return index > 0 && index < current.length ? current[index] : null;
    }

    @Override
    public List<ArpEntry> arpEntries() {
        return callOnShard(() -> arp.snapshot(shard.clock().nanoTime()));
    }

    @Override
    public void addStaticArpEntry(String interfaceName, int address, long mac) {
        EthernetInterface nif = existing(interfaceName);
        if (MacAddress.isMulticast(mac) || mac == 0) {
            throw new IllegalArgumentException("a static ARP entry needs a unicast MAC, not " + MacAddress.format(mac));
        }
        boolean added = callOnShard(() -> arp.addStatic(nif, address, mac, shard.clock().nanoTime()));
        if (!added) {
            throw new IllegalStateException("The ARP cache is full of static entries; raise arp.cache.size in netstack.ethernet.");
        }
    }

    @Override
    public boolean removeArpEntry(String interfaceName, int address) {
        EthernetInterface nif = existing(interfaceName);
        return callOnShard(() -> arp.remove(nif, address));
    }

    private EthernetInterface existing(String name) {
        EthernetInterface nif;
        synchronized (this) {
            nif = interfacesByName.get(name);
        }
        if (nif == null) {
            throw new IllegalArgumentException("No interface named " + name + "; the interfaces are " + interfacesByName.keySet());
        }
        return nif;
    }

    /** Packets now waiting for ARP resolution (for tests and the shell). */
    public int arpQueuedPackets() {
        return callOnShard(arp::queuedPackets);
    }

    /**
     * Runs {@code command} on the shard: at once if the caller is the shard (or drives it, as in
     * simulation), else as a shard command. The result completes when it has run.
     */
    private CompletableFuture<Void> runOnShard(Runnable command) {
        if (shard.inShard()) {
            command.run();
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable wrapped = () -> {
            try {
                command.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
                throw e;
            }
        };
        if (!shard.execute(wrapped)) {
            throw new IllegalStateException("shard " + shard.id() + " is not taking commands (its queue is full)");
        }
        return done;
    }

    private void await(CompletableFuture<?> done) {
        try {
            done.get(CONTROL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            LOG.log(Level.ERROR, "link layer command failed on shard " + shard.id(), e.getCause());
        } catch (TimeoutException e) {
            LOG.log(Level.WARNING, () -> "Shard " + shard.id() + " did not detach the device within " + CONTROL_TIMEOUT_MS
                    + " ms; is it running?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private <T> T callOnShard(Callable<T> call) {
        try {
            if (shard.inShard()) {
                return call.call();
            }
            CompletableFuture<T> result = new CompletableFuture<>();
            Runnable command = () -> {
                try {
                    result.complete(call.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            };
            if (!shard.execute(command)) {
                throw new IllegalStateException("shard " + shard.id() + " is not taking commands (its queue is full)");
            }
            return result.get(CONTROL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("shard " + shard.id() + " did not answer within " + CONTROL_TIMEOUT_MS + " ms; is it running?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for shard " + shard.id());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ================================================================ data path (shard thread)

    /**
     * Receives one frame (data at the Ethernet header). Takes ownership. Never throws: a handler
     * that throws is counted, and keeps the buffer it was given.
     */
    Disposition receive(EthernetInterface nif, PacketBuffer frame, long nowNs) {
        counters.increment(EthernetStat.RX_FRAMES);
        int offset = frame.offset();
        EthernetHeader eth = rxHeader.wrap(frame.segment(), offset);
        if (!eth.checkLength(frame.length())) {
            return drop(frame, EthernetStat.TOO_SHORT, Disposition.MALFORMED);
        }
        long destination = eth.destination();
        if (destination != nif.mac() && destination != MacAddress.BROADCAST && !acceptsMulticast(destination)) {
            return drop(frame, EthernetStat.NOT_FOR_US, Disposition.NOT_FOR_US);
        }
        int etherType = eth.etherType();
        frame.setLinkOffset(offset);
        frame.advance(EthernetHeader.LENGTH);
        frame.setInterfaceIndex(nif.index());
        if (etherType == EthernetHeader.ETHER_TYPE_ARP) {
            return arp.receive(nif, frame, nowNs);
        }
        EtherTypeHandler handler = handlers.lookup(etherType);
        if (handler == null) {
            return drop(frame, EthernetStat.UNKNOWN_ETHERTYPE, Disposition.PROTOCOL_UNREACHABLE);
        }
        try {
            return handler.receive(nif, frame, nowNs);
        } catch (RuntimeException e) {
            counters.increment(EthernetStat.HANDLER_ERRORS);
            if (nowNs - lastHandlerErrorLogNs - LOG_INTERVAL_NS >= 0 || lastHandlerErrorLogNs == Long.MIN_VALUE) {
                lastHandlerErrorLogNs = nowNs;
                LOG.log(Level.ERROR, "EtherType handler " + handler + " failed (logged at most every 10 s)", e);
            }
            return Disposition.DROPPED;
        }
    }

    private boolean acceptsMulticast(long destination) {
        long[] accepted = multicast;
        for (long mac : accepted) {
            if (mac == destination) {
                return true;
            }
        }
        return false;
    }

    private Disposition drop(PacketBuffer frame, EthernetStat reason, Disposition disposition) {
        counters.increment(reason);
        frame.release();
        return disposition;
    }

    @Override
    public PacketBuffer allocate(NetInterface nif) {
        DevicePort port = nif instanceof EthernetInterface e ? e.txPort : null;
        return port == null ? null : port.pool().allocate();
    }

    @Override
    public Disposition sendIpv4(NetInterface nif, int nextHop, PacketBuffer packet, long nowNs) {
        if (!(nif instanceof EthernetInterface e) || e.txPort == null) {
            return drop(packet, EthernetStat.TX_NO_DEVICE, Disposition.NO_RESOURCES);
        }
        return arp.sendIpv4(e, nextHop, packet, nowNs);
    }

    @Override
    public Disposition send(NetInterface nif, long destinationMac, int etherType, PacketBuffer packet, long nowNs) {
        DevicePort port = nif instanceof EthernetInterface e ? e.txPort : null;
        if (port == null) {
            return drop(packet, EthernetStat.TX_NO_DEVICE, Disposition.NO_RESOURCES);
        }
        DevicePort[] ports = ((EthernetInterface) nif).ports();
        if (ports.length > 1) {
            // Send on the queue whose pool the buffer came from (an ARP reply reuses the request's buffer).
            for (DevicePort candidate : ports) {
                if (candidate.pool() == packet.pool()) {
                    port = candidate;
                    break;
                }
            }
        }
        if (packet.headroom() < EthernetHeader.LENGTH) {
            return drop(packet, EthernetStat.TX_NO_HEADROOM, Disposition.NO_RESOURCES);
        }
        int at = packet.prepend(EthernetHeader.LENGTH);
        txHeader.wrap(packet.segment(), at)
                .destination(destinationMac)
                .source(((EthernetInterface) nif).mac())
                .etherType(etherType);
        packet.setLinkOffset(at);
        packet.setInterfaceIndex(nif.index());
        return port.enqueue(packet) ? Disposition.HANDLED : Disposition.NO_RESOURCES;
    }

    void count(EthernetStat stat) {
        counters.increment(stat);
    }

    // ================================================================ lanes: sharing neighbours

    /**
     * Told of every neighbour this layer learns from an ARP packet, on the shard thread. The lanes of
     * a multi-shard stack each run an EthernetLayer; the lane that receives ARP (queue 0) tells the
     * others, so they resolve without ARP traffic of their own reaching them.
     */
    @FunctionalInterface
    public interface NeighborListener {
        void learned(String interfaceName, int address, long mac);
    }

    private volatile NeighborListener neighborListener;

    /** The other lanes of this stack under OSGi (bound as {@link LinkLayer} services with a lane). */
    private volatile EthernetLayer[] peers = new EthernetLayer[0];
    /** This layer's lane under OSGi, from its lane configuration; -1 without lanes. */
    private volatile int lane = -1;

    /** Sets (or with null, clears) the listener of learned neighbours. Any thread. */
    public void onNeighborLearned(NeighborListener listener) {
        this.neighborListener = listener;
    }

    /** OSGi: reads this instance's lane from its configuration ({@link Lane}). */
    @Activate
    void activate(Map<String, Object> properties) {
        if (Lane.isLane(properties)) {
            lane = Lane.of(properties);
            LOG.log(Level.DEBUG, () -> "link layer of lane " + lane + " on shard " + shard.id());
        }
    }

    /** The lane this layer serves under OSGi, or -1 without lanes. */
    public int lane() {
        return lane;
    }

    /**
     * OSGi: the link layers of the stack's lanes, this one included (skipped). Lane 0 tells the
     * others each neighbour it learns, as embedded mode does with {@link #onNeighborLearned}.
     */
    @Reference(name = "peers", service = LinkLayer.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + Lane.LANE_PROPERTY + "=*)", unbind = "removePeer")
    void addPeer(LinkLayer peer) {
        if (peer != this && peer instanceof EthernetLayer layer) {
            synchronized (this) {
                EthernetLayer[] next = Arrays.copyOf(peers, peers.length + 1);
                next[peers.length] = layer;
                peers = next;
            }
        }
    }

    void removePeer(LinkLayer peer) {
        synchronized (this) {
            peers = Arrays.stream(peers).filter(p -> p != peer).toArray(EthernetLayer[]::new);
        }
    }

    /** ArpResolver, shard thread: a neighbour's address was learned from the wire. */
    void neighborLearned(EthernetInterface nif, int address, long mac) {
        NeighborListener listener = neighborListener;
        if (listener != null) {
            listener.learned(nif.name(), address, mac);
        }
        EthernetLayer[] others = peers; // OSGi lanes; empty otherwise
        for (int i = 0; i < others.length; i++) {
            EthernetLayer peer = others[i];
            String name = nif.name();
            if (!peer.shard.execute(() -> peer.learnNeighbor(name, address, mac))) {
                LOG.log(Level.WARNING, () -> "lane of shard " + peer.shard.id() + " is not taking commands;"
                        + " it resolves " + name + " neighbours by itself");
            }
        }
    }

    /**
     * Shard thread: takes a neighbour learned by another lane as if its ARP reply had arrived here,
     * sending what waits for it; not passed on to the listener. Ignored for an unknown interface.
     */
    public void learnNeighbor(String interfaceName, int address, long mac) {
        EthernetInterface nif;
        synchronized (this) {
            nif = interfacesByName.get(interfaceName);
        }
        if (nif != null) {
            arp.learn(nif, address, mac, shard.clock().nanoTime());
        }
    }

    void add(EthernetStat stat, long delta) {
        if (delta != 0) {
            counters.add(stat, delta);
        }
    }

    /** A device threw from receive or transmit: logged at most every 10 s. */
    void deviceFailed(NetDevice device, RuntimeException e, long nowNs) {
        if (lastDeviceErrorLogNs == Long.MIN_VALUE || nowNs - lastDeviceErrorLogNs - LOG_INTERVAL_NS >= 0) {
            lastDeviceErrorLogNs = nowNs;
            LOG.log(Level.ERROR, "Device " + device.description() + " failed (logged at most every 10 s)", e);
        }
    }
}
