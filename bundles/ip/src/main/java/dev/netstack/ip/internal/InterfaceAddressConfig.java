package dev.netstack.ip.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Factory PID {@code netstack.ip.interface}: one address for one interface. */
@ObjectClassDefinition(name = "netstack IPv4 interface address")
public @interface InterfaceAddressConfig {

    @AttributeDefinition(description = "Stack interface name")
    String name() default "eth0";

    @AttributeDefinition(description = "Address with prefix length, like 198.18.0.2/24")
    String address();
}
