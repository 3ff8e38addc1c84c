package dev.netstack.embedded;

import com.google.inject.Module;
import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.nic.FaultPlan;
import dev.netstack.nic.NetDevice;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.NanoClock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link NetStack.Builder} collected, frozen: the input of {@link NetStackModule}.
 *
 * @param interfaceName the stack interface ({@code eth0}); null = the device's own name
 * @param tap TAP to create when no {@code device} is given
 * @param namespace network namespace to create the TAP in (null: the caller's)
 * @param hostAddress kernel side of the TAP as CIDR (null: leave it alone)
 * @param mac the stack's MAC on the TAP (null: derived from the TAP name)
 * @param mtu the TAP's MTU (0: 1500)
 * @param poolBuffers buffers in the TAP's pool (0: 4096)
 * @param device a device to use instead of a TAP (the stack owns and closes it)
 * @param address the interface's IPv4 address as CIDR (null: none)
 * @param routes static routes (destination CIDR or {@code default}, gateway, interface)
 * @param fault faults to inject in front of the device (null: none)
 * @param capture pcap file to write every frame to (null: no capture)
 * @param idle idle strategy of the shard thread
 * @param manualClock non-null: no shard thread; the caller drives turns with {@link NetStack#runTurn}
 * @param ethernet properties of {@code netstack.ethernet}
 * @param ip properties of {@code netstack.ip}
 * @param protocols transport handlers to bind by protocol number
 * @param etherTypes extra link layer handlers to bind by EtherType
 * @param modules extra Guice modules (protocol bundles add their bindings with these)
 * @param shards shard threads (lanes) the stack runs on
 * @param cpus CPUs to pin the shards to (a Linux CPU list), empty for none
 * @param loop non-null: a lane of a multi-shard stack runs on this shard loop, which it does not own
 */
record Settings(String interfaceName, String tap, String namespace, String hostAddress, String mac, int mtu,
        int poolBuffers, NetDevice device, String address, List<RouteSpec> routes, FaultPlan fault, Path capture,
        String idle, NanoClock manualClock, Map<String, Object> ethernet, Map<String, Object> ip,
        Map<Integer, ProtocolHandler> protocols, Map<Integer, EtherTypeHandler> etherTypes, List<Module> modules,
        int shards, String cpus, EventLoop loop) {

    /** The same settings for one lane: over {@code laneDevice}, on {@code laneLoop}. */
    Settings lane(NetDevice laneDevice, EventLoop laneLoop) {
        return new Settings(interfaceName, tap, namespace, hostAddress, mac, mtu, poolBuffers, laneDevice, address,
                routes, fault, capture, idle, manualClock, ethernet, ip, protocols, etherTypes, modules, shards, cpus,
                laneLoop);
    }

    /** One {@code netstack.ip.route} configuration. */
    record RouteSpec(String destination, String gateway, String interfaceName) {
        Map<String, Object> properties() {
            return Map.of("destination", destination, "gateway", gateway == null ? "" : gateway,
                    "interface", interfaceName == null ? "" : interfaceName);
        }
    }

    /** The interface name the stack serves. */
    String effectiveInterfaceName() {
        if (interfaceName != null) {
            return interfaceName;
        }
        return device != null ? device.name() : "eth0";
    }
}
