package dev.netstack.runtime.internal;

import dev.netstack.nic.DecoratedDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.QueueDevice;
import dev.netstack.nic.SteeringDevice;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.Shard;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Turns {@code netstack.runtime} {@code shards = n} into n lanes under OSGi (see {@link Lane}).
 *
 * <ul>
 *   <li><b>Lane configurations.</b> For n &gt; 1 it keeps one factory configuration of
 *       {@value Lane#PID} per lane ({@code netstack.lane~0} to {@code ~n-1}); for n = 1 it deletes
 *       them, and each layer runs as one instance again.</li>
 *   <li><b>Lane devices.</b> For n &gt; 1 it splits every device service without a lane into one
 *       {@link NetDevice} service per lane: a {@link QueueDevice} per queue of an n-queue device,
 *       or, for a one-queue device, a queue of a {@link SteeringDevice} that shard 0 relays for
 *       (the flows are steered in software). A device with another number of queues is refused
 *       with an error naming the setting to change. The lane's link layer binds the lane's device
 *       ({@code device.target}); the device with no lane is bound by nobody but this component.</li>
 * </ul>
 *
 * <p>Threads: control threads only (DS); the relay task runs on shard 0.
 */
@Component(configurationPid = RuntimeComponent.PID, immediate = true, service = {})
public final class LaneComponent {

    private static final System.Logger LOG = System.getLogger(LaneComponent.class.getName());
    private static final long CONTROL_TIMEOUT_MS = 5_000;
    /** The name each lane configuration is created under: {@code netstack.lane~lane-<i>}. */
    static final String NAME_PREFIX = "lane-";

    private final int lanes;
    private final Shard shard0;
    private final BundleContext context;
    private final Map<NetDevice, Split> splits = new IdentityHashMap<>();
    private boolean closed;

    /** The lane devices made from one device, and the steering wrapper if there is one. */
    private record Split(List<ServiceRegistration<NetDevice>> registrations, SteeringDevice steering, PollTask relay) {
    }

    @Activate
    public LaneComponent(RuntimeComponent.Config config, @Reference ConfigurationAdmin configurations,
            @Reference(target = "(" + Shard.ID_PROPERTY + "=0)") Shard shard0, BundleContext context) {
        this.lanes = Math.max(1, Math.min(config.shards(), RuntimeComponent.MAX_SHARDS));
        this.shard0 = shard0;
        this.context = context;
        try {
            reconcile(configurations, lanes);
        } catch (IOException | InvalidSyntaxException e) {
            LOG.log(Level.ERROR, "netstack.runtime: could not write the lane configurations (" + e.getMessage()
                    + "); the layers keep their current shape");
        }
        if (lanes > 1) {
            LOG.log(Level.INFO, "running " + lanes + " lanes, one per shard: TCP flows are spread over them by the"
                    + " device's queues; ARP, ICMP, UDP and fragments go to lane 0");
        }
    }

    /** The properties of lane {@code lane} of {@code lanes}: its number, and what it binds. */
    static Dictionary<String, Object> laneProperties(int lane, int lanes) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(Lane.LANE_PROPERTY, lane);
        p.put(Lane.LANES_PROPERTY, lanes);
        String own = "(" + Lane.LANE_PROPERTY + "=" + lane + ")";
        p.put("shard.target", "(" + Shard.ID_PROPERTY + "=" + lane + ")");
        for (String reference : new String[] {"device", "handler", "listener", "link", "network", "protocol", "tcp",
                "udp"}) {
            p.put(reference + ".target", own);
        }
        p.put("peers.target", "(&(" + Lane.LANE_PROPERTY + "=*)(" + Lane.LANES_PROPERTY + "=" + lanes + "))");
        return p;
    }

    /**
     * The PIDs that lane components of this distribution combine with {@value Lane#PID}. Felix SCR
     * makes one instance per lane configuration only if each such PID has a configuration when the
     * lane configurations arrive (an empty one will do); so they get one first.
     */
    static final List<String> LAYER_PIDS = List.of("netstack.ethernet", "netstack.ip", "netstack.tcp", "netstack.udp",
            "netstack.demo");

    /** Makes the lane configurations those of {@code lanes} lanes (none for one). */
    static void reconcile(ConfigurationAdmin admin, int lanes) throws IOException, InvalidSyntaxException {
        Set<String> wanted = new HashSet<>();
        if (lanes > 1) {
            for (String pid : LAYER_PIDS) {
                Configuration c = admin.getConfiguration(pid, "?");
                if (c.getProperties() == null) {
                    c.update(new Hashtable<>()); // the defaults, as without a configuration
                }
            }
            for (int i = 0; i < lanes; i++) {
                Configuration c = admin.getFactoryConfiguration(Lane.PID, NAME_PREFIX + i, "?");
                wanted.add(c.getPid());
                c.updateIfDifferent(laneProperties(i, lanes));
            }
        }
        Configuration[] existing = admin.listConfigurations("(service.factoryPid=" + Lane.PID + ")");
        if (existing != null) {
            for (Configuration c : existing) {
                if (!wanted.contains(c.getPid())) {
                    c.delete();
                }
            }
        }
    }

    // ---------------------------------------------------------------- lane devices

    @Reference(name = "device", service = NetDevice.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(!(" + Lane.LANE_PROPERTY + "=*))", unbind = "removeDevice")
    synchronized void addDevice(NetDevice device, Map<String, Object> properties) {
        if (lanes == 1 || closed || splits.containsKey(device)) {
            return;
        }
        int queues = device.queueCount();
        SteeringDevice steering = null;
        PollTask relay = null;
        NetDevice laned = device;
        if (queues == 1) {
            steering = new SteeringDevice(new Borrowed(device), lanes);
            if (shard0 instanceof EventLoop loop) {
                steering.setTransmitWakeup(loop::wakeup);
            }
            relay = Lane.relayTask(steering);
            PollTask task = relay;
            if (!onShard0(() -> shard0.addTask(task))) {
                LOG.log(Level.ERROR, device.description() + ": shard 0 did not take the relay task; its traffic is not served");
                steering.close();
                return;
            }
            laned = steering;
        } else if (queues != lanes) {
            LOG.log(Level.ERROR, device.description() + " has " + queues + " queues but the stack runs " + lanes
                    + " lanes (netstack.runtime shards): give the device " + lanes + " queues (nic.tap: queues = " + lanes
                    + ") or one, whose flows are then steered in software. Its traffic is not served.");
            return;
        }
        List<ServiceRegistration<NetDevice>> registrations = new ArrayList<>(lanes);
        for (int i = 0; i < lanes; i++) {
            Hashtable<String, Object> p = new Hashtable<>();
            properties.forEach((key, value) -> {
                if (!key.startsWith("service.") && !key.startsWith("component.") && !key.equals("objectClass")) {
                    p.put(key, value);
                }
            });
            p.put(Lane.LANE_PROPERTY, i);
            p.put(Lane.LANES_PROPERTY, lanes);
            registrations.add(context.registerService(NetDevice.class, new QueueDevice(laned, i), p));
        }
        splits.put(device, new Split(registrations, steering, relay));
        LOG.log(Level.INFO, device.description() + ": " + lanes + " lanes"
                + (steering != null ? ", steered in software (one queue)" : ", one queue each"));
    }

    synchronized void removeDevice(NetDevice device) {
        Split split = splits.remove(device);
        if (split != null) {
            dismantle(split);
        }
    }

    private void dismantle(Split split) {
        for (ServiceRegistration<NetDevice> r : split.registrations()) {
            try {
                r.unregister(); // each lane's link layer stops using its queue before this returns
            } catch (IllegalStateException gone) {
                // withdrawn already (the bundle is stopping)
            }
        }
        if (split.steering() != null) {
            onShard0(() -> shard0.removeTask(split.relay()));
            split.steering().close(); // returns its buffers; the view inside keeps the device open
        }
    }

    /**
     * A device this component uses but does not own: closing the steering wrapper around it leaves
     * it open, for the component that opened it to close.
     */
    private static final class Borrowed extends DecoratedDevice {
        Borrowed(NetDevice device) {
            super(device);
        }

        @Override
        public String description() {
            return inner.description();
        }

        @Override
        public int receive(int queue, PacketBatch batch) {
            return inner.receive(queue, batch);
        }

        @Override
        public int transmit(int queue, PacketBatch batch) {
            return inner.transmit(queue, batch);
        }

        @Override
        public void close() {
        }
    }

    /** Runs {@code action} on shard 0 and waits for it; false if the shard did not take or finish it. */
    private boolean onShard0(Runnable action) {
        if (shard0.inShard()) {
            action.run();
            return true;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!shard0.execute(() -> {
            action.run();
            done.complete(null);
        })) {
            return false;
        }
        try {
            done.get(CONTROL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            LOG.log(Level.WARNING, "shard 0 did not answer in time: " + e);
            return false;
        }
    }

    @Deactivate
    synchronized void close() {
        closed = true;
        for (Split split : splits.values()) {
            dismantle(split);
        }
        splits.clear();
    }
}
