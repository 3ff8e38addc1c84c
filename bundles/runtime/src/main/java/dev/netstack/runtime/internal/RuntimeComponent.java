package dev.netstack.runtime.internal;

import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.IdleStrategies;
import dev.netstack.runtime.IdleStrategy;
import dev.netstack.runtime.NanoClock;
import dev.netstack.runtime.Shard;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Creates the shards: {@code shards} {@link EventLoop}s, each on its own thread with its own idle
 * strategy, and publishes each as a {@link Shard} service with {@value Shard#ID_PROPERTY}.
 *
 * <p>Under OSGi the constructor builds and starts the loops, {@link #register(BundleContext)}
 * publishes them and {@link #close()} (the deactivate method) withdraws the services, then stops
 * the threads. In embedded mode Guice calls the constructor; {@link #shards()} hands out the loops
 * and {@link #close()} stops them. A configuration change restarts the component (and so the shards),
 * which DS does for a component without a modified method.
 *
 * <p>Threads: constructor, register and close run on control threads; the loops run on their own.
 */
@Component(configurationPid = RuntimeComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = {}, immediate = true)
@Designate(ocd = RuntimeComponent.Config.class)
public final class RuntimeComponent implements AutoCloseable {

    public static final String PID = "netstack.runtime";
    /** Upper bound on {@code shards}: more loops than this is a configuration mistake, not a machine. */
    public static final int MAX_SHARDS = 256;

    private static final System.Logger LOG = System.getLogger(RuntimeComponent.class.getName());

    /** Configuration of PID {@value #PID}. */
    @ObjectClassDefinition(name = "netstack runtime", description = "Shard event loops: how many, and how they idle.")
    public @interface Config {
        @AttributeDefinition(description = "Number of shards (event loop threads), usually one per core given to the stack.", min = "1")
        int shards() default 1;

        @AttributeDefinition(description = "What a shard does without work: backoff (spin, yield, park),"
                + " spin, yield, or poll (sleep in poll(2) on the devices).")
        String idle() default "backoff";

        @AttributeDefinition(description = "CPUs to pin the shards to, one per shard in order"
                + " (a Linux CPU list such as 2,3 or 2-3); empty: no pinning.")
        String cpus() default "";
    }

    private final List<EventLoop> loops;
    private final List<ServiceRegistration<Shard>> registrations = new ArrayList<>();

    /**
     * Builds and starts the loops.
     *
     * @throws IllegalArgumentException with one sentence naming the bad setting
     */
    @Activate
    @jakarta.inject.Inject
    public RuntimeComponent(Config config) {
        int count = config.shards();
        if (count < 1 || count > MAX_SHARDS) {
            throw new IllegalArgumentException(PID + ": shards must be from 1 to " + MAX_SHARDS + ", got " + count);
        }
        int[] cpus;
        try {
            cpus = cpusFor(config.cpus(), count);
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException(PID + ": " + bad.getMessage(), bad);
        }
        List<EventLoop> created = new ArrayList<>(count);
        try {
            for (int id = 0; id < count; id++) {
                IdleStrategy idle = IdleStrategies.create(config.idle());
                EventLoop loop = new EventLoop(id, NanoClock.SYSTEM, idle, EventLoop.DEFAULT_COMMAND_QUEUE);
                created.add(loop);
                if (cpus.length > 0) {
                    loop.pinTo(cpus[id]);
                }
                loop.start();
            }
        } catch (RuntimeException e) {
            created.forEach(EventLoop::stop);
            if (e instanceof IllegalArgumentException bad) {
                throw new IllegalArgumentException(PID + ": " + bad.getMessage(), bad);
            }
            throw e;
        }
        this.loops = List.copyOf(created);
        LOG.log(Level.INFO, "started " + count + " shard(s), idle " + config.idle()
                + (cpus.length > 0 ? ", pinned to CPUs " + config.cpus().strip() : ""));
    }

    /**
     * The CPU of each shard from the {@code cpus} setting: empty for none, else exactly one CPU per
     * shard (extra CPUs are an error too: they would be a silent mistake), each one this process
     * may run on.
     */
    static int[] cpusFor(String setting, int shards) {
        if (setting == null || setting.isBlank()) {
            return new int[0];
        }
        int[] cpus = dev.netstack.runtime.os.CpuAffinity.parseList(setting);
        if (cpus.length != shards) {
            throw new IllegalArgumentException("cpus lists " + cpus.length + " CPU(s) for " + shards
                    + " shard(s): give exactly one CPU per shard, e.g. cpus = 0-" + (shards - 1));
        }
        java.util.BitSet allowed = dev.netstack.runtime.os.CpuAffinity.allowed();
        java.util.BitSet seen = new java.util.BitSet();
        for (int cpu : cpus) {
            if (!allowed.get(cpu)) {
                throw new IllegalArgumentException("cpus names CPU " + cpu + ", which this process may not run on"
                        + " (allowed: " + allowed + ")");
            }
            if (seen.get(cpu)) {
                throw new IllegalArgumentException("cpus names CPU " + cpu + " twice: give each shard its own CPU");
            }
            seen.set(cpu);
        }
        return cpus;
    }

    /**
     * Publishes every loop as a {@link Shard} service (OSGi only). With several shards,
     * {@link LaneComponent} makes the layers run one lane per shard.
     */
    @Activate
    void register(BundleContext context) {
        for (EventLoop loop : loops) {
            registrations.add(context.registerService(Shard.class, loop,
                    FrameworkUtil.asDictionary(Map.of(Shard.ID_PROPERTY, loop.id()))));
        }
    }

    /** The loops, by shard id. */
    public List<EventLoop> shards() {
        return loops;
    }

    /** Withdraws the services, then stops every loop. Idempotent. */
    @Override
    @Deactivate
    public void close() {
        for (ServiceRegistration<Shard> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework withdrew it already (bundle stopping)
            }
        }
        registrations.clear();
        for (EventLoop loop : loops) {
            loop.stop();
        }
    }
}
