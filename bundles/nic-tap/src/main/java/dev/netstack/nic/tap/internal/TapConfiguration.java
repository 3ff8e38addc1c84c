package dev.netstack.nic.tap.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of one TAP device: factory PID {@value TapComponent#PID}, one configuration per device. */
@ObjectClassDefinition(name = "netstack TAP device", description = "A Linux TAP interface serving one stack interface.")
public @interface TapConfiguration {

    @AttributeDefinition(description = "Stack interface the device serves (nic.name of the NetDevice service).")
    String name() default "eth0";

    @AttributeDefinition(description = "Kernel TAP interface to create, at most 15 characters.")
    String tap() default "ns0";

    @AttributeDefinition(description = "The stack's MAC address; empty for a locally administered one derived"
            + " from the TAP name.")
    String mac() default "";

    @AttributeDefinition(description = "Largest IP packet, 68 to 9000.")
    int mtu() default 1500;

    @AttributeDefinition(name = "host.address", description = "IPv4 address and prefix for the kernel side,"
            + " like 198.18.0.1/24; empty leaves the kernel side alone.")
    String host_address() default "";

    @AttributeDefinition(name = "pool.buffers", description = "Packet buffers in the device's pool.")
    int pool_buffers() default 4096;

    @AttributeDefinition(description = "Open the TAP with IFF_VNET_HDR and use checksum and TCP segmentation"
            + " offloads (TUNSETOFFLOAD): large TCP segments both ways, no checksums computed where the kernel"
            + " vouches for them. Falls back to plain frames if the kernel refuses.")
    boolean offload() default true;

    @AttributeDefinition(description = "Queue pairs, 1 to 16. More than one opens the TAP with IFF_MULTI_QUEUE,"
            + " one descriptor and pool (of pool.buffers) per queue, and attaches an eBPF program"
            + " (TUNSETSTEERINGEBPF) that delivers each TCP flow on the queue of its flow hash and everything"
            + " else on queue 0; needs root or CAP_BPF and CAP_NET_ADMIN.")
    int queues() default 1;
}
