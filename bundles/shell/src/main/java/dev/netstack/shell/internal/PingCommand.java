package dev.netstack.shell.internal;

import dev.netstack.ip.Pinger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:ping}: ICMP echo from the stack, printed as the iputils ping prints it.
 *
 * <pre>
 *   ping [-c COUNT] [-s BYTES] [-i SECONDS] [-W SECONDS] HOST
 * </pre>
 *
 * <p>With several lanes it pings from lane 0, which receives every ICMP message.
 */
@Component(service = PingCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=ping"})
public final class PingCommand {

    final LaneServices<Pinger> pingers = new LaneServices<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removePinger")
    void addPinger(Pinger pinger, Map<String, Object> properties) {
        pingers.add(pinger, properties);
    }

    void removePinger(Pinger pinger) {
        pingers.remove(pinger);
    }

    @Descriptor("send ICMP echo requests to HOST and print the replies")
    public String ping(
            @Descriptor("number of requests") @Parameter(names = {"-c", "--count"}, absentValue = "4") int count,
            @Descriptor("ICMP data bytes per request") @Parameter(names = {"-s", "--size"}, absentValue = "56") int size,
            @Descriptor("seconds between requests") @Parameter(names = {"-i", "--interval"}, absentValue = "1") double interval,
            @Descriptor("seconds to wait for replies after the last request")
            @Parameter(names = {"-W", "--timeout"}, absentValue = "1") double timeout,
            @Descriptor("IPv4 address") String host) throws InterruptedException {
        Pinger p = pingers.lane0();
        if (p == null) {
            throw new IllegalStateException("the network layer (bundle dev.netstack.ip) is not running.");
        }
        if (interval < 0 || timeout < 0 || Double.isNaN(interval) || Double.isNaN(timeout)) {
            throw new IllegalArgumentException("ping interval and timeout must be 0 seconds or more.");
        }
        int destination = Text.parseIpv4(host);
        Pinger.Options options = new Pinger.Options(size, count, Math.round(interval * 1000), Math.round(timeout * 1000));
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Pinger.Listener listener = (sequence, dataBytes, ttl, rttNs) -> lines.add(String.format(
                "%d bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms", dataBytes + 8, host, sequence, ttl, rttNs / 1e6));
        long boundMs = (long) count * options.intervalMs() + options.timeoutMs() + 10_000;
        Pinger.Result result;
        try {
            result = p.ping(destination, options, listener).get(boundMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IllegalStateException("ping did not finish within " + boundMs + " ms; is the stack's shard running?");
        }
        return format(host, size, lines, result);
    }

    static String format(String host, int size, List<String> replies, Pinger.Result result) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("PING %s %d(%d) bytes of data.%n", host, size, size + 28));
        synchronized (replies) {
            for (String line : replies) {
                out.append(line).append('\n');
            }
        }
        out.append(String.format("%n--- %s ping statistics ---%n", host));
        out.append(String.format("%d packets transmitted, %d received, %s%% packet loss%n", result.transmitted(),
                result.received(), trim(result.lossPercent())));
        List<Long> rtts = result.rttsNs();
        if (!rtts.isEmpty()) {
            double min = Double.MAX_VALUE;
            double max = 0;
            double sum = 0;
            for (long rtt : rtts) {
                double ms = rtt / 1e6;
                min = Math.min(min, ms);
                max = Math.max(max, ms);
                sum += ms;
            }
            out.append(String.format("rtt min/avg/max = %.3f/%.3f/%.3f ms%n", min, sum / rtts.size(), max));
        }
        return out.toString();
    }

    private static String trim(double percent) {
        return percent == Math.rint(percent) ? Long.toString((long) percent) : String.format("%.1f", percent);
    }
}
