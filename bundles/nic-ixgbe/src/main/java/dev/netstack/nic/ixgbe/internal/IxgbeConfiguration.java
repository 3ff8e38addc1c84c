package dev.netstack.nic.ixgbe.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of one 82599 port: factory PID {@value IxgbeComponent#PID}, one configuration per device. */
@ObjectClassDefinition(name = "netstack ixgbe device", description = "An Intel 82599 port driven from userspace.")
public @interface IxgbeConfiguration {

    @AttributeDefinition(description = "Stack interface the device serves (nic.name of the NetDevice service).")
    String name() default "eth0";

    @AttributeDefinition(description = "PCI address of the 82599 port, like 0000:03:00.0.")
    String pci() default "";

    @AttributeDefinition(description = "RX/TX queue pairs, 1 to 16; with more than one, RSS spreads flows, one queue per shard.")
    int queues() default 1;

    @AttributeDefinition(name = "rss.key", description = "Toeplitz key, 80 hex digits; empty for the symmetric key (6d5a repeated), "
            + "which sends both directions of a TCP flow to one queue.")
    String rss_key() default "";

    @AttributeDefinition(description = "Receive frames for every destination MAC.")
    boolean promiscuous() default false;

    @AttributeDefinition(name = "pool.buffers", description = "Packet buffers in each queue's pool.")
    int pool_buffers() default 4096;

    @AttributeDefinition(description = "hugetlbfs mount for DMA memory; empty for the first one mounted.")
    String hugepages() default "";
}
