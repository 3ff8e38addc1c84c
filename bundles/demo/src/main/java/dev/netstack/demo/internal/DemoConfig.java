package dev.netstack.demo.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** PID {@code netstack.demo}: which demo services listen, and where. A port of 0 turns that service off. */
@ObjectClassDefinition(name = "netstack demo services")
public @interface DemoConfig {

    @AttributeDefinition(description = "Serve the demo services at all (./netstack demo writes enabled = true)")
    boolean enabled() default false;

    @AttributeDefinition(description = "Local address to listen on, empty for every address of the stack")
    String address() default "";

    @AttributeDefinition(description = "TCP echo (RFC 862), 0 = off")
    int echo_port() default 7;

    @AttributeDefinition(description = "TCP discard (RFC 863), 0 = off")
    int discard_port() default 9;

    @AttributeDefinition(description = "HTTP/1.1: GET / (status) and GET /bytes/N, 0 = off")
    int http_port() default 80;
}
