package dev.caravan.bench;

import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Issue 13's four workloads, each run by Caravan ({@link CaravanWorkloads}) and by the same graph written as plain
 * Camel routes ({@link CamelWorkloads}) in this process, alternating, and reported as the median of the rounds with the
 * ratio Caravan / Camel. A main program, not a test:
 *
 * <pre>java [hazelcast flags] -cp ... dev.caravan.bench.WorkloadsBench</pre>
 *
 * Sizes are system properties (defaults in brackets): {@code rounds} [3], {@code warmup} [200], {@code w1a.runs}
 * [2000], {@code w1b.runs} [4000], {@code w1b.inFlight} [64], {@code w2.runs} [1000], {@code w2.paused} [10000],
 * {@code w3.runs} [2000], {@code w3.inFlight} [500]; {@code side} [both] runs {@code Camel} or {@code Caravan} alone,
 * and then the process's peak RSS is that side's;
 * {@code workloads} [w1a,w1b,w2,w3] the ones named. {@code store=h2} adds a third side, {@value #H2}: Caravan on a
 * durable store (an H2 file database in a temporary folder, {@code store.options} appended to its URL), reported with
 * its ratio to Caravan in memory.
 */
public final class WorkloadsBench {

    private static final int NODES = 4;
    /** W3's model latency: fixed, as the workflow file says it. */
    private static final long LATENCY_MILLIS = 50;
    private static final String CAMEL = "Camel";
    private static final String CARAVAN = "Caravan";
    private static final String H2 = "Caravan+H2";

    private final int warmup = Integer.getInteger("warmup", 200);
    private final int w1aRuns = Integer.getInteger("w1a.runs", 2000);
    private final int w1bRuns = Integer.getInteger("w1b.runs", 4000);
    private final int w1bInFlight = Integer.getInteger("w1b.inFlight", 64);
    private final int w2Runs = Integer.getInteger("w2.runs", 1000);
    private final int w2Paused = Integer.getInteger("w2.paused", 10_000);
    private final int w3Runs = Integer.getInteger("w3.runs", 2000);
    private final int w3InFlight = Integer.getInteger("w3.inFlight", 500);
    /** One side alone ({@code Camel} or {@code Caravan}), for its own thread counts and memory; both when unset. */
    private final String only = System.getProperty("side");
    private final Set<String> workloads = Set.of(System.getProperty("workloads", "w1a,w1b,w2,w3").split(","));
    /** Whether Caravan also runs on a durable store ({@code h2}), as a side of its own. */
    private final boolean h2 = "h2".equalsIgnoreCase(System.getProperty("store"));
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    /** Measurements by row, then by side, one value per round. */
    private final Map<Row, Map<String, List<Double>>> measured = new TreeMap<>();

    /** A line of the report; the order of the constants is the order of the table. */
    private enum Row {
        W1A("W1a diamond, sequential", "us/node"),
        W1A_CPU("W1a CPU, whole process", "us/node"),
        W1B("W1b diamond, in flight", "runs/s"),
        W1B_CPU("W1b CPU, whole process", "us/node"),
        W2_LATENCY("W2 pause + resume", "median us"),
        W2_BYTES("W2 paused runs", "bytes/run"),
        W3("W3 slow model, in flight", "runs/s"),
        W3_PEAK("W3 peak live threads", "threads"),
        W3_ADDED("W3 threads added at peak", "threads"),
        WRONG("wrong results, all rounds", "runs");

        final String label;
        final String unit;

        Row(String label, String unit) {
            this.label = label;
            this.unit = unit;
        }
    }

    private WorkloadsBench() {
    }

    public static void main(String[] args) throws Exception {
        new WorkloadsBench().run(Integer.getInteger("rounds", 3));
    }

    private void run(int rounds) throws Exception {
        DefaultCamelContext caravanCamel = new DefaultCamelContext();
        caravanCamel.start();
        DefaultCamelContext plainCamel = new DefaultCamelContext();
        plainCamel.start();
        DefaultCamelContext durableCamel = new DefaultCamelContext();
        Path database = Files.createTempDirectory("caravan-bench-h2");
        durableCamel.getPropertiesComponent().addInitialProperty("caravan.store.jdbc-url",
                "jdbc:h2:file:" + database.resolve("caravan").toAbsolutePath() + System.getProperty("store.options", ""));
        durableCamel.start();
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
        int exit = 0;
        try {
            List<Workloads> sides = new ArrayList<>();
            if (!CARAVAN.equalsIgnoreCase(only)) {
                sides.add(new CamelWorkloads(plainCamel, scheduler, LATENCY_MILLIS));
            }
            if (!CAMEL.equalsIgnoreCase(only)) {
                sides.add(new CaravanWorkloads(caravanCamel, CARAVAN));
                if (h2) {
                    sides.add(new CaravanWorkloads(durableCamel, H2));
                }
            }
            for (Workloads side : sides) {
                if (workloads.contains("w1a")) {
                    side.diamondSequential(warmup);
                }
                if (workloads.contains("w1b")) {
                    side.diamondInFlight(warmup, w1bInFlight);
                }
                if (workloads.contains("w2")) {
                    side.pauseResumeMedian(warmup);
                }
                if (workloads.contains("w3")) {
                    side.slowInFlight(Math.min(warmup, w3Runs), w3InFlight);
                }
            }
            for (int round = 0; round < rounds; round++) {
                // the side that goes first changes every round, so neither always runs on the other's garbage
                List<Workloads> order = new ArrayList<>(sides);
                if (round % 2 == 1) {
                    Collections.reverse(order);
                }
                for (Workloads side : workloads.contains("w1a") ? order : List.<Workloads>of()) {
                    long cpu0 = DiamondBench.processCpuNanos();
                    record(Row.W1A, side, side.diamondSequential(w1aRuns) / 1e3 / ((double) w1aRuns * NODES));
                    // less moved than wall time by other processes on the machine
                    record(Row.W1A_CPU, side, (DiamondBench.processCpuNanos() - cpu0) / 1e3 / ((double) w1aRuns * NODES));
                }
                for (Workloads side : workloads.contains("w1b") ? order : List.<Workloads>of()) {
                    long cpu0 = DiamondBench.processCpuNanos();
                    record(Row.W1B, side, w1bRuns / (side.diamondInFlight(w1bRuns, w1bInFlight) / 1e9));
                    record(Row.W1B_CPU, side, (DiamondBench.processCpuNanos() - cpu0) / 1e3 / ((double) w1bRuns * NODES));
                }
                for (Workloads side : workloads.contains("w2") ? order : List.<Workloads>of()) {
                    record(Row.W2_LATENCY, side, side.pauseResumeMedian(w2Runs) / 1e3);
                }
                for (Workloads side : workloads.contains("w2") ? order : List.<Workloads>of()) {
                    record(Row.W2_BYTES, side, side.bytesPerPausedRun(w2Paused));
                }
                for (Workloads side : workloads.contains("w3") ? order : List.<Workloads>of()) {
                    int before = threads.getThreadCount();
                    threads.resetPeakThreadCount();
                    record(Row.W3, side, w3Runs / (side.slowInFlight(w3Runs, w3InFlight) / 1e9));
                    int peak = threads.getPeakThreadCount();
                    record(Row.W3_PEAK, side, peak);
                    record(Row.W3_ADDED, side, peak - before);
                }
                System.err.printf("round %d of %d done%n", round + 1, rounds);
            }
            for (Workloads side : sides) {
                record(Row.WRONG, side, side.checks().count());
            }
            report(rounds);
            peakRss().ifPresent(kb -> System.out.printf("peak RSS of this process (%s): %,d KB%n",
                    only == null ? "both sides" : only + " alone", kb));
            for (Workloads side : sides) {
                if (side.checks().count() > 0) {
                    System.out.println(side.name() + ": " + side.checks().count() + " wrong results; first: "
                            + side.checks().first());
                    // the baseline's are reported, not fatal: Camel's parallel multicast has a rare race (README)
                    exit = side instanceof CaravanWorkloads ? 1 : exit;
                }
            }
        } catch (IllegalStateException e) {
            System.out.println("FAIL: " + e.getMessage());
            exit = 1;
        } finally {
            scheduler.shutdownNow();
            plainCamel.stop();
            caravanCamel.stop();
            durableCamel.stop();
            deleteTree(database);
        }
        System.exit(exit);
    }

    /**
     * The process's peak resident set (Linux {@code VmHWM}), for comparing sides run alone ({@code -Dside}); empty
     * where {@code /proc} does not have it.
     */
    private static Optional<Long> peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: nothing to report
        }
        return Optional.empty();
    }

    private void record(Row row, Workloads side, double value) {
        measured.computeIfAbsent(row, r -> new TreeMap<>()).computeIfAbsent(side.name(), s -> new ArrayList<>())
                .add(value);
    }

    private void report(int rounds) {
        System.out.printf("%nWorkloads bench (issue 13): median of %d alternated rounds, JDK %s, %d CPUs%n", rounds,
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        System.out.printf("W1a %d runs, W1b %d runs %d in flight, W2 %d runs and %d paused, W3 %d runs %d in flight "
                + "(model %d ms), warm-up %d%n", w1aRuns, w1bRuns, w1bInFlight, w2Runs, w2Paused, w3Runs, w3InFlight,
                LATENCY_MILLIS, warmup);
        String durableHeader = h2 ? String.format(" %10s %14s", H2, "H2/Caravan") : "";
        System.out.printf("%-28s %-10s %10s %10s %14s%s  %s%n", "workload", "unit", CAMEL, CARAVAN, "Caravan/Camel",
                durableHeader, h2 ? "rounds (Camel | Caravan | Caravan+H2)" : "rounds (Camel | Caravan)");
        for (Map.Entry<Row, Map<String, List<Double>>> e : measured.entrySet()) {
            Row row = e.getKey();
            List<Double> camel = e.getValue().getOrDefault(CAMEL, List.of());
            List<Double> caravan = e.getValue().getOrDefault(CARAVAN, List.of());
            List<Double> durable = e.getValue().getOrDefault(H2, List.of());
            double c = median(camel);
            double v = median(caravan);
            double d = median(durable);
            String durableColumns = h2 ? String.format(" %10.1f %14s", d, ratio(d, v)) : "";
            System.out.printf("%-28s %-10s %10.1f %10.1f %14s%s  %s | %s%s%n", row.label, row.unit, c, v, ratio(v, c),
                    durableColumns, rounded(camel), rounded(caravan), h2 ? " | " + rounded(durable) : "");
        }
        System.out.println("Ratios are Caravan / Camel (and Caravan+H2 / Caravan in memory): above 1 is slower or"
                + " bigger, except for runs/s, where below 1 is slower.");
    }

    private static String ratio(double value, double base) {
        return base == 0 || Double.isNaN(base) || Double.isNaN(value) ? "-" : String.format("%.2fx", value / base);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private static String rounded(List<Double> values) {
        StringBuilder out = new StringBuilder();
        for (double v : values) {
            out.append(out.length() == 0 ? "" : " ").append(Math.round(v));
        }
        return out.toString();
    }
}
