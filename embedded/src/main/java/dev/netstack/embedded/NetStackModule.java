package dev.netstack.embedded;

import com.google.inject.AbstractModule;
import com.google.inject.Binder;
import com.google.inject.Provider;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.MapBinder;
import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.Pinger;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.RoutingTable;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PcapWriter;
import dev.netstack.nic.tap.internal.TapComponent;
import dev.netstack.nic.tap.internal.TapConfiguration;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.Shard;
import dev.netstack.runtime.internal.RuntimeComponent;
import dev.netstack.runtime.os.NetNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Assembles a stack from the same component classes the OSGi distribution runs, without OSGi:
 *
 * <pre>
 *   RuntimeComponent ──shards().get(0)──▶ Shard ◀────────────┬──────────────┐
 *   TapComponent (or a given NetDevice) ─▶ [Capturing] ─▶ [FaultInjecting] ─▶ NetDevice
 *   EthernetLayer(EthernetConfig, Shard)  = LinkLayer        │              │
 *   Ipv4Layer(LinkLayer, Shard, IpConfig) = NetworkLayer, RoutingTable, Pinger
 *   InterfaceAddressComponent, RouteComponent: built by {@link NetStack} per configuration
 * </pre>
 *
 * <p>Configuration annotation types are bound to {@link Configs#of} instances of the builder's
 * properties. What DS does through the service registry (the whiteboards {@code ether.type} and
 * {@code ip.protocol}, device binding, interface listeners) {@link NetStack} does by hand when
 * Guice builds it.
 *
 * <p><b>Extending.</b> A protocol module (udp, tcp) adds its handler to the map bound here:
 * <pre>{@code
 * NetStackModule.protocols(binder()).addBinding(17).to(UdpLayer.class);
 * }</pre>
 * and is passed with {@link NetStack.Builder#module}, or to {@code Guice.createInjector} beside
 * {@link NetStack.Builder#module()}. Everything here is bound as a singleton, so such a module can
 * inject {@link NetworkLayer}, {@link LinkLayer} or {@link Shard} and get the stack's own.
 */
public final class NetStackModule extends AbstractModule {

    private final Settings settings;
    private final Resources resources;

    NetStackModule(Settings settings) {
        this.settings = settings;
        this.resources = new Resources();
    }

    /** The transport handlers by IP protocol number, bound into the network layer by {@link NetStack}. */
    public static MapBinder<Integer, ProtocolHandler> protocols(Binder binder) {
        return MapBinder.newMapBinder(binder, Integer.class, ProtocolHandler.class);
    }

    /** Extra link layer handlers by EtherType (IPv4 and ARP are served already). */
    public static MapBinder<Integer, EtherTypeHandler> etherTypes(Binder binder) {
        return MapBinder.newMapBinder(binder, Integer.class, EtherTypeHandler.class);
    }

    Resources resources() {
        return resources;
    }

    Settings settings() {
        return settings;
    }

    @Override
    protected void configure() {
        bind(Settings.class).toInstance(settings);
        bind(Resources.class).toInstance(resources);
        bind(RuntimeComponent.Config.class).toInstance(Configs.of(RuntimeComponent.Config.class,
                Map.of("shards", 1, "idle", settings.idle(), "cpus", settings.cpus())));
        bind(EthernetConfig.class).toInstance(Configs.of(EthernetConfig.class, settings.ethernet()));
        bind(IpConfig.class).toInstance(Configs.of(IpConfig.class, settings.ip()));

        bind(EthernetLayer.class).in(Singleton.class);
        bind(LinkLayer.class).to(EthernetLayer.class);
        bind(Ipv4Layer.class).in(Singleton.class);
        bind(NetworkLayer.class).to(Ipv4Layer.class);
        bind(RoutingTable.class).to(Ipv4Layer.class);
        bind(Pinger.class).to(Ipv4Layer.class);
        bind(NetStack.class).in(Singleton.class);

        MapBinder<Integer, ProtocolHandler> protocols = protocols(binder());
        settings.protocols().forEach((protocol, handler) -> protocols.addBinding(protocol).toInstance(handler));
        MapBinder<Integer, EtherTypeHandler> etherTypes = etherTypes(binder());
        settings.etherTypes().forEach((type, handler) -> etherTypes.addBinding(type).toInstance(handler));
        for (com.google.inject.Module module : settings.modules()) {
            install(module);
        }
    }

    /** The shard: shard 0 of a {@link RuntimeComponent}, or a hand-driven loop with the manual clock. */
    @Provides
    @Singleton
    Shards shards(Provider<RuntimeComponent> runtime) {
        if (settings.manualClock() != null) {
            return new Shards(null, EventLoop.manual(0, settings.manualClock()), true);
        }
        if (settings.loop() != null) {
            return new Shards(null, settings.loop(), false); // a lane: the multi-shard stack owns the runtime
        }
        RuntimeComponent component = runtime.get();
        resources.add(component::close);
        return new Shards(component, component.shards().getFirst(), false);
    }

    @Provides
    @Singleton
    Shard shard(Shards shards) {
        return shards.loop();
    }

    /**
     * The device: the given one, or a TAP opened by {@link TapComponent} (inside the namespace if
     * one is set), wrapped for capture and then for faults, so the capture shows the wire.
     */
    @Provides
    @Singleton
    NetDevice device(Shard shard) {
        NetDevice device = settings.device() != null ? settings.device() : openTap();
        try {
            if (settings.capture() != null) {
                CapturingDevice capturing = new CapturingDevice(device);
                capturing.start(PcapWriter.open(settings.capture()));
                device = capturing;
            }
            if (settings.fault() != null) {
                device = new FaultInjectingDevice(device, settings.fault(), shard.clock()::nanoTime);
            }
        } catch (IOException e) {
            device.close();
            throw new UncheckedIOException("Cannot write the capture file " + settings.capture()
                    + ": check that its directory exists and is writable.", e);
        }
        resources.add(device::close); // each wrapper closes the device it wraps
        return device;
    }

    private NetDevice openTap() {
        return openTap(settings, 1);
    }

    /** Opens the TAP the settings describe, with {@code queues} queue pairs. */
    static NetDevice openTap(Settings settings, int queues) {
        Map<String, Object> properties = new HashMap<>();
        if (queues > 1) {
            properties.put("queues", queues);
        }
        properties.put("name", settings.effectiveInterfaceName());
        properties.put("tap", settings.tap());
        if (settings.mac() != null) {
            properties.put("mac", settings.mac());
        }
        if (settings.mtu() > 0) {
            properties.put("mtu", settings.mtu());
        }
        if (settings.hostAddress() != null) {
            properties.put("host.address", settings.hostAddress());
        }
        if (settings.poolBuffers() > 0) {
            properties.put("pool.buffers", settings.poolBuffers());
        }
        TapConfiguration config = Configs.of(TapConfiguration.class, properties);
        if (settings.namespace() == null) {
            return new TapComponent(config).device();
        }
        // setns(2) moves one thread only: open the TAP on a platform thread of its own inside the namespace.
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread opener = Thread.ofPlatform().name("netstack-tap-open").unstarted(() -> {
            try {
                NetNamespace namespace = NetNamespace.enter(settings.namespace());
                try {
                    outcome.set(new TapComponent(config).device());
                } finally {
                    namespace.close();
                }
            } catch (RuntimeException | Error e) {
                outcome.set(e);
            }
        });
        opener.start();
        try {
            opener.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the TAP " + settings.tap());
        }
        Object result = outcome.get();
        if (result instanceof NetDevice device) {
            return device;
        }
        if (result instanceof RuntimeException e) {
            throw e;
        }
        throw (Error) result;
    }

    /**
     * The shard, and the component that owns its thread if this stack owns it (null for a lane of a
     * multi-shard stack and for a manual loop).
     *
     * @param manual whether the loop has no thread and the caller drives its turns
     */
    record Shards(RuntimeComponent runtime, EventLoop loop, boolean manual) {
    }
}
