package dev.netstack.shell.internal;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.NetDevice;
import dev.netstack.runtime.Counters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:stats [-a]}: every {@link Counters} service grouped by scope (sets with the same
 * scope, such as one per shard, are added up), then each device's counters over all its queues.
 * Counters that are zero are left out unless {@code -a} is given.
 *
 * <p>With several lanes each lane publishes its own set of every scope; they are added up, unless
 * {@code -l} asks for one section per lane and scope ({@code tcp lane 1}).
 */
@Component(service = StatsCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=stats"})
public final class StatsCommand {

    final LaneServices<Counters> counters = new LaneServices<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeCounters")
    void addCounters(Counters set, Map<String, Object> properties) {
        counters.add(set, properties);
    }

    void removeCounters(Counters set) {
        counters.remove(set);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<NetDevice> devices = List.of();

    @Descriptor("show the counters of every layer and device")
    public String stats(@Descriptor("also show counters that are zero")
            @Parameter(names = {"-a", "--all"}, presentValue = "true", absentValue = "false") boolean all,
            @Descriptor("one section per lane instead of the lanes added up")
            @Parameter(names = {"-l", "--lanes"}, presentValue = "true", absentValue = "false") boolean perLane) {
        if (!perLane) {
            return format(counters.all(), devices, all);
        }
        List<LaneServices.Bound<Counters>> bound = new ArrayList<>(counters.bound());
        bound.sort(Comparator.comparing((LaneServices.Bound<Counters> b) -> b.service().scope())
                .thenComparingInt(LaneServices.Bound::lane));
        List<Counters> sets = new ArrayList<>();
        List<String> titles = new ArrayList<>();
        for (LaneServices.Bound<Counters> b : bound) {
            sets.add(b.service());
            titles.add(b.service().scope() + " lane " + b.lane());
        }
        return format(sets, titles, devices, all);
    }

    /** Sets of one scope added up, a section per scope. */
    static String format(List<Counters> counters, List<NetDevice> devices, boolean all) {
        List<Counters> sorted = new ArrayList<>(counters);
        sorted.sort(Comparator.comparing(Counters::scope));
        List<String> titles = new ArrayList<>(sorted.size());
        for (Counters set : sorted) {
            titles.add(set.scope());
        }
        return format(sorted, titles, devices, all);
    }

    /** Sets with the same title added up, a section per title (in the order given), then the devices. */
    static String format(List<Counters> counters, List<String> titles, List<NetDevice> devices, boolean all) {
        Map<String, Map<String, Long>> scopes = new LinkedHashMap<>();
        for (int c = 0; c < counters.size(); c++) {
            Counters set = counters.get(c);
            Map<String, Long> scope = scopes.computeIfAbsent(titles.get(c), k -> new LinkedHashMap<>());
            for (int i = 0; i < set.size(); i++) {
                scope.merge(set.name(i), set.get(i), Long::sum);
            }
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Map<String, Long>> scope : scopes.entrySet()) {
            appendSection(out, scope.getKey(), scope.getValue(), all);
        }
        for (NetDevice device : devices) {
            DeviceCounters c = Text.total(device);
            Map<String, Long> values = new LinkedHashMap<>();
            values.put("rx-packets", c.rxPackets);
            values.put("rx-bytes", c.rxBytes);
            values.put("rx-dropped", c.rxDropped);
            values.put("rx-errors", c.rxErrors);
            values.put("tx-packets", c.txPackets);
            values.put("tx-bytes", c.txBytes);
            values.put("tx-dropped", c.txDropped);
            values.put("tx-errors", c.txErrors);
            appendSection(out, "device " + device.name() + " (" + device.description() + ")", values, all);
        }
        if (out.isEmpty()) {
            return scopes.isEmpty() && devices.isEmpty() ? "no counters are registered\n"
                    : "every counter is zero (stats -a shows them)\n";
        }
        return out.toString();
    }

    private static void appendSection(StringBuilder out, String title, Map<String, Long> values, boolean all) {
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<String, Long> value : values.entrySet()) {
            if (all || value.getValue() != 0) {
                lines.append(String.format("  %-32s %d%n", value.getKey(), value.getValue()));
            }
        }
        if (!lines.isEmpty() || (all && values.isEmpty())) {
            out.append(title).append('\n').append(lines);
        }
    }
}
