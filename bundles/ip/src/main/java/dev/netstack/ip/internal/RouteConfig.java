package dev.netstack.ip.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Factory PID {@code netstack.ip.route}: one static route. */
@ObjectClassDefinition(name = "netstack IPv4 route")
public @interface RouteConfig {

    @AttributeDefinition(description = "Destination network as CIDR, or 'default'")
    String destination() default "default";

    @AttributeDefinition(description = "Gateway address (empty: directly connected)", required = false)
    String gateway() default "";

    @AttributeDefinition(description = "Interface name (empty: the one whose network holds the gateway)", required = false)
    String interface$() default "";
}
