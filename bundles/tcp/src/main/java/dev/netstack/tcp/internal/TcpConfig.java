package dev.netstack.tcp.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@code netstack.tcp}. Attribute names map {@code _} to {@code .}. */
@ObjectClassDefinition(name = "netstack TCP")
public @interface TcpConfig {

    @AttributeDefinition(description = "Send buffer per connection (bytes)")
    int send_buffer_bytes() default 256 * 1024;

    @AttributeDefinition(description = "Receive buffer per connection, the largest window (bytes)")
    int receive_buffer_bytes() default 256 * 1024;

    @AttributeDefinition(description = "First receive window; auto-tuning grows it up to the buffer (bytes)")
    int initial_receive_window_bytes() default 64 * 1024;

    @AttributeDefinition(description = "Accept queue per listener: connections waiting to be accepted")
    int backlog() default 128;

    @AttributeDefinition(description = "Half-open connections per listener before SYN cookies (or drops) start")
    int syn_queue() default 256;

    @AttributeDefinition(description = "Connections in all states, TIME_WAIT included")
    int max_connections() default 16384;

    @AttributeDefinition(description = "Maximum segment lifetime; TIME_WAIT lasts twice this (ms)")
    int msl_ms() default 30_000;

    @AttributeDefinition(description = "How long an orphaned FIN_WAIT_2 connection waits for the peer's FIN (ms)")
    int fin_wait_2_timeout_ms() default 60_000;

    @AttributeDefinition(description = "Keepalive: idle time before the first probe (ms)")
    int keepalive_idle_ms() default 7_200_000;

    @AttributeDefinition(description = "Keepalive: interval between unanswered probes (ms)")
    int keepalive_interval_ms() default 75_000;

    @AttributeDefinition(description = "Keepalive: unanswered probes before the connection times out")
    int keepalive_count() default 9;

    @AttributeDefinition(description = "Longest delay of an ACK (ms, RFC 9293 §3.8.6.3 requires < 500)")
    int delayed_ack_ms() default 40;

    @AttributeDefinition(description = "Lower bound of the retransmission timeout (ms)")
    int rto_min_ms() default 200;

    @AttributeDefinition(description = "Upper bound of the retransmission timeout (ms)")
    int rto_max_ms() default 120_000;

    @AttributeDefinition(description = "Retransmission timeout before the first RTT sample (ms, RFC 6298 §2.1)")
    int rto_initial_ms() default 1_000;

    @AttributeDefinition(description = "SYN retransmissions before an active open fails")
    int syn_retries() default 6;

    @AttributeDefinition(description = "Retransmissions of data before the connection times out")
    int retries() default 15;

    @AttributeDefinition(description = "Default congestion control algorithm (tcp.cc of an installed factory)")
    String congestion_control() default "cubic";

    @AttributeDefinition(description = "SYN cookies: auto (when the SYN queue is full), always, never")
    String syncookies() default "auto";

    @AttributeDefinition(description = "Challenge ACKs sent per second at most (RFC 5961 §7)")
    int challenge_ack_per_second() default 1000;

    @AttributeDefinition(description = "Out-of-order ranges kept per connection (the data itself lives in the receive buffer)")
    int ooo_max_ranges() default 32;

    @AttributeDefinition(description = "Offer window scaling (RFC 7323)")
    boolean window_scaling() default true;

    @AttributeDefinition(description = "Offer timestamps (RFC 7323)")
    boolean timestamps() default true;

    @AttributeDefinition(description = "Offer SACK (RFC 2018)")
    boolean sack() default true;
}
