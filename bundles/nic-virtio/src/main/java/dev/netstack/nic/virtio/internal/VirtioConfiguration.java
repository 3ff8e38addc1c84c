package dev.netstack.nic.virtio.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of one virtio-net device: factory PID {@value VirtioComponent#PID}. */
@ObjectClassDefinition(name = "netstack virtio-net device",
        description = "A virtio-net PCI device driven from userspace, serving one stack interface.")
public @interface VirtioConfiguration {

    @AttributeDefinition(description = "Stack interface the device serves (nic.name of the NetDevice service).")
    String name() default "eth0";

    @AttributeDefinition(description = "PCI address of the device, DDDD:BB:DD.F as lspci -D shows it.")
    String pci();

    @AttributeDefinition(description = "MAC address overriding the device's; empty for the device's own.")
    String mac() default "";

    @AttributeDefinition(name = "pool.buffers", description = "Packet buffers in the device's DMA pool.")
    int pool_buffers() default 4096;

    @AttributeDefinition(description = "hugetlbfs mount point; empty to use the first one in /proc/mounts.")
    String hugepages() default "";

    @AttributeDefinition(description = "Queue pairs wanted, capped by the device's max_virtqueue_pairs; more than"
            + " one needs VIRTIO_NET_F_MQ (one packet pool of pool.buffers per pair).")
    int queues() default 1;
}
