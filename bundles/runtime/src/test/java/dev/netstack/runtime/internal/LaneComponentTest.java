package dev.netstack.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.QueueDevice;
import dev.netstack.nic.SteeringDevice;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.Shard;
import java.lang.annotation.Annotation;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

class LaneComponentTest {

    private static RuntimeComponent.Config shards(int shards) {
        return new RuntimeComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RuntimeComponent.Config.class;
            }

            @Override
            public int shards() {
                return shards;
            }

            @Override
            public String idle() {
                return "backoff";
            }

            @Override
            public String cpus() {
                return "";
            }
        };
    }

    /** A ConfigurationAdmin holding configurations in a map, as Felix CM would. */
    private static final class Admin {
        final ConfigurationAdmin admin = mock(ConfigurationAdmin.class);
        final Map<String, Configuration> byPid = new HashMap<>();
        final Map<String, Dictionary<String, Object>> properties = new HashMap<>();
        final List<String> updates = new ArrayList<>();

        Admin() throws Exception {
            when(admin.getConfiguration(anyString(), eq("?"))).thenAnswer(call -> configuration(call.getArgument(0), false));
            when(admin.getFactoryConfiguration(eq(Lane.PID), anyString(), eq("?")))
                    .thenAnswer(call -> configuration(Lane.PID + "~" + call.getArgument(1), true));
            when(admin.listConfigurations(anyString())).thenAnswer(call -> {
                List<Configuration> lanes = new ArrayList<>();
                byPid.forEach((pid, c) -> {
                    if (pid.startsWith(Lane.PID + "~") && properties.containsKey(pid)) {
                        lanes.add(c);
                    }
                });
                return lanes.isEmpty() ? null : lanes.toArray(Configuration[]::new);
            });
        }

        Configuration configuration(String pid, boolean factory) throws Exception {
            Configuration existing = byPid.get(pid);
            if (existing != null) {
                return existing;
            }
            Configuration c = mock(Configuration.class);
            when(c.getPid()).thenReturn(pid);
            when(c.getProperties()).thenAnswer(call -> properties.get(pid));
            org.mockito.stubbing.Answer<Object> update = call -> {
                properties.put(pid, call.getArgument(0));
                updates.add(pid);
                return true;
            };
            when(c.updateIfDifferent(any())).thenAnswer(update);
            org.mockito.Mockito.doAnswer(update).when(c).update(any());
            org.mockito.Mockito.doAnswer(call -> {
                properties.remove(pid);
                byPid.remove(pid);
                updates.add("deleted " + pid);
                return null;
            }).when(c).delete();
            byPid.put(pid, c);
            return c;
        }
    }

    @Test
    void twoShardsGiveTwoLaneConfigurationsAfterTheLayersHaveConfigurations() throws Exception {
        Admin cm = new Admin();
        cm.properties.put("netstack.ethernet", new java.util.Hashtable<>(Map.of("arp.retries", 5)));
        cm.byPid.put("netstack.ethernet", cm.configuration("netstack.ethernet", false));

        LaneComponent.reconcile(cm.admin, 2);

        assertEquals(5, cm.properties.get("netstack.ethernet").get("arp.retries"), "an existing configuration is kept");
        for (String pid : List.of("netstack.ip", "netstack.tcp", "netstack.udp", "netstack.demo")) {
            assertTrue(cm.properties.get(pid).isEmpty(), pid + " gets an empty configuration");
            assertTrue(cm.updates.indexOf(pid) < cm.updates.indexOf(Lane.PID + "~lane-0"), pid + " comes before the lanes");
        }
        for (int lane = 0; lane < 2; lane++) {
            Dictionary<String, Object> p = cm.properties.get(Lane.PID + "~lane-" + lane);
            assertEquals(lane, p.get(Lane.LANE_PROPERTY));
            assertEquals(2, p.get(Lane.LANES_PROPERTY));
            assertEquals("(shard.id=" + lane + ")", p.get("shard.target"));
            for (String reference : List.of("device", "handler", "listener", "link", "network", "protocol", "tcp", "udp")) {
                assertEquals("(lane=" + lane + ")", p.get(reference + ".target"), reference);
            }
            assertEquals("(&(lane=*)(lanes=2))", p.get("peers.target"));
        }
    }

    @Test
    void fewerShardsDeleteTheLanesBeyondAndOneShardDeletesThemAll() throws Exception {
        Admin cm = new Admin();
        LaneComponent.reconcile(cm.admin, 3);
        assertEquals(3, cm.admin.listConfigurations("(service.factoryPid=netstack.lane)").length);

        LaneComponent.reconcile(cm.admin, 2);
        assertTrue(cm.updates.contains("deleted " + Lane.PID + "~lane-2"));
        assertEquals(2, cm.admin.listConfigurations("(service.factoryPid=netstack.lane)").length);
        assertEquals(2, cm.properties.get(Lane.PID + "~lane-1").get(Lane.LANES_PROPERTY), "the lanes left are told");

        LaneComponent.reconcile(cm.admin, 1);
        assertNull(cm.admin.listConfigurations("(service.factoryPid=netstack.lane)"));
    }

    /** A device of {@code queues} queues that receives nothing. */
    private static final class QuietDevice implements NetDevice {
        final Arena arena = Arena.ofShared();
        final PacketPool pool;
        final int queues;
        boolean closed;

        QuietDevice(int queues) {
            this.queues = queues;
            this.pool = PacketPool.create("quiet", PacketMemory.offHeap(arena, 512L * 2048), 512, 2048, 128);
        }

        @Override public String name() { return "eth0"; }
        @Override public String description() { return "quiet(" + queues + ")"; }
        @Override public long macAddress() { return 0x020000000001L; }
        @Override public int mtu() { return 1500; }
        @Override public boolean isLinkUp() { return true; }
        @Override public DeviceCapabilities capabilities() { return new DeviceCapabilities(queues, 0, 1518); }
        @Override public PacketPool pool(int queue) { return pool; }
        @Override public int receive(int queue, PacketBatch batch) { return 0; }
        @Override public int transmit(int queue, PacketBatch batch) { return 0; }
        @Override public DeviceCounters counters(int queue) { return new DeviceCounters(); }
        @Override public void close() { closed = true; }
    }

    private record Registered(NetDevice device, Dictionary<String, Object> properties, ServiceRegistration<NetDevice> registration) {
    }

    @SuppressWarnings("unchecked")
    private static List<Registered> recording(BundleContext context) {
        List<Registered> registered = new ArrayList<>();
        when(context.registerService(eq(NetDevice.class), any(NetDevice.class), any(Dictionary.class))).thenAnswer(call -> {
            ServiceRegistration<NetDevice> r = mock(ServiceRegistration.class);
            registered.add(new Registered(call.getArgument(1), call.getArgument(2), r));
            return r;
        });
        return registered;
    }

    private static LaneComponent component(int lanes, BundleContext context, Shard shard0) throws Exception {
        return new LaneComponent(shards(lanes), new Admin().admin, shard0, context);
    }

    /** Shard 0 as a test thread sees it: commands run at once. */
    private static Shard shard0() {
        Shard shard = mock(Shard.class);
        when(shard.inShard()).thenReturn(true);
        return shard;
    }

    @Test
    void aDeviceWithAQueuePerLaneBecomesOneDeviceServicePerLane() throws Exception {
        BundleContext context = mock(BundleContext.class);
        List<Registered> registered = recording(context);
        Shard shard0 = shard0();
        LaneComponent lanes = component(2, context, shard0);
        QuietDevice device = new QuietDevice(2);

        lanes.addDevice(device, Map.of("nic.name", "eth0", "service.id", 42L, "component.name", "tap", "objectClass",
                new String[] {NetDevice.class.getName()}));

        assertEquals(2, registered.size());
        for (int lane = 0; lane < 2; lane++) {
            Registered r = registered.get(lane);
            QueueDevice view = assertInstanceOf(QueueDevice.class, r.device());
            assertEquals(lane, view.queue());
            assertTrue(view.device() == device, "a view of the device itself");
            assertEquals(lane, r.properties().get(Lane.LANE_PROPERTY));
            assertEquals(2, r.properties().get(Lane.LANES_PROPERTY));
            assertEquals("eth0", r.properties().get("nic.name"));
            assertNull(r.properties().get("service.id"));
            assertNull(r.properties().get("component.name"));
            assertNull(r.properties().get("objectClass"));
        }
        lanes.removeDevice(device);
        for (Registered r : registered) {
            verify(r.registration()).unregister();
        }
        assertFalse(device.closed, "the device belongs to whoever opened it");
    }

    @Test
    void aOneQueueDeviceIsSteeredInSoftwareWithShard0Relaying() throws Exception {
        BundleContext context = mock(BundleContext.class);
        List<Registered> registered = recording(context);
        Shard shard0 = shard0();
        LaneComponent lanes = component(2, context, shard0);
        QuietDevice device = new QuietDevice(1);

        lanes.addDevice(device, Map.of("nic.name", "eth0"));

        assertEquals(2, registered.size());
        QueueDevice lane1 = assertInstanceOf(QueueDevice.class, registered.get(1).device());
        assertInstanceOf(SteeringDevice.class, lane1.device());
        org.mockito.ArgumentCaptor<PollTask> relay = org.mockito.ArgumentCaptor.forClass(PollTask.class);
        verify(shard0).addTask(relay.capture());
        lanes.close();
        for (Registered r : registered) {
            verify(r.registration()).unregister();
        }
        verify(shard0).removeTask(relay.getValue());
        assertFalse(device.closed, "closing the steering wrapper leaves the device open");
        assertEquals(0, device.pool.inUse(), "the wrapper gave back every buffer it took");
    }

    @Test
    void aDeviceWithAnotherNumberOfQueuesIsRefusedAndOneShardSplitsNothing() throws Exception {
        BundleContext context = mock(BundleContext.class);
        List<Registered> registered = recording(context);
        Shard shard0 = shard0();
        component(2, context, shard0).addDevice(new QuietDevice(3), Map.of());
        component(1, context, shard0).addDevice(new QuietDevice(2), Map.of());
        assertTrue(registered.isEmpty());
        verify(context, never()).registerService(eq(NetDevice.class), any(NetDevice.class), any(Dictionary.class));
    }
}
