package dev.caravan.component.map;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.component.node.NodeContext;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.component.node.NodeResult;
import dev.caravan.component.node.RunScope;
import dev.caravan.component.node.ScopedBody;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Workflow;
import dev.caravan.expr.Template;
import dev.caravan.run.WorkflowRoutes;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import org.apache.camel.Category;
import org.apache.camel.spi.UriEndpoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the nodes of a map body once for each item of a list, a bounded number at a time, and collects the outputs.
 * <p>
 * A {@code map} node runs its body route once per item, at most {@code concurrency} at a time. Item i's node keys
 * are {@code <id>[i].<sub-node>}, so each item replays on its own. The output is the list of per-item outputs, in
 * item order.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-map", title = "Caravan Map",
             syntax = "caravan-map:nodePath", category = { Category.WORKFLOW }, producerOnly = true, remote = false,
             headersClass = NodeConstants.class)
public class MapEndpoint extends NodeEndpoint {

    private int concurrency;
    private Template itemsTemplate;
    private Template outputTemplate;
    private ScopedBody scopedBody;
    private List<String> bodyNodes = List.of();

    public MapEndpoint(String uri, MapComponent component) {
        super(uri, component);
    }

    @Override
    public String kind() {
        return MapKind.NAME;
    }

    @Override
    public boolean isContainer() {
        return true;
    }

    @Override
    protected void configure(Workflow wf, Node node) throws Exception {
        MapSpec map = spec(node, MapSpec.class);
        if (map.items() == null) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " needs items");
        }
        if (map.concurrency() < 1) {
            throw new IllegalArgumentException(getEndpointBaseUri() + " concurrency must be at least 1 but was "
                    + map.concurrency());
        }
        concurrency = map.concurrency();
        itemsTemplate = compileValue(map.items());
        outputTemplate = compileValue(map.output());
        bodyNodes = map.nodes().stream().map(Node::id).toList();
        scopedBody = new ScopedBody(getCamelContext(), WorkflowRoutes.bodyRouteUri(wf.name(), getNodePath()),
                services().workers(), isContinueOnError());
    }

    @Override
    protected void doStop() throws Exception {
        if (scopedBody != null) {
            scopedBody.stop();
        }
        super.doStop();
    }

    @Override
    protected CompletionStage<NodeResult> execute(NodeContext ctx) {
        Object value = itemsTemplate.evaluate(ctx.variables());
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("map " + ctx.key() + ": items must be a list but was "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        }
        CompletableFuture<Void> all = new CompletableFuture<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        int n = list.size();
        if (n == 0) {
            all.complete(null);
        }
        Runnable[] launch = new Runnable[1];
        launch[0] = () -> {
            int i;
            while (failures.isEmpty() && (i = claim(next, running, n)) >= 0) {
                int index = i;
                scopedBody.run(ctx, scope(ctx, index), Map.of("item", list.get(index), "index", (long) index))
                        .whenComplete((v, e) -> {
                            if (e != null) {
                                failures.add(e);
                            }
                            running.decrementAndGet();
                            if (finished.incrementAndGet() == n || !failures.isEmpty() && running.get() == 0) {
                                all.complete(null);
                            } else {
                                launch[0].run();
                            }
                        });
            }
        };
        launch[0].run();
        return all.thenApply(v -> {
            if (!failures.isEmpty()) {
                throw new CompletionException(failures.get(0));
            }
            RunRecord record = ctx.services().store().get(ctx.runId());
            NodeStatus pending = RunScope.pendingUnder(record, ctx.key() + "[");
            if (pending != null) {
                return new NodeResult.Paused(pending, Map.of("items", n));
            }
            List<Object> outputs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Map<String, Object> vars = RunScope.variables(ctx.services(), record, scope(ctx, i),
                        Map.of("item", list.get(i), "index", (long) i));
                outputs.add(outputTemplate != null ? outputTemplate.evaluate(vars) : RunScope.outputsOf(vars, bodyNodes));
            }
            return new NodeResult.Completed(outputs, 0, 0, Map.of("items", n));
        });
    }

    /** Takes the next item index if a slot is free; -1 when none is left or all slots are busy. */
    private int claim(AtomicInteger next, AtomicInteger running, int n) {
        while (true) {
            int r = running.get();
            if (r >= concurrency) {
                return -1;
            }
            if (running.compareAndSet(r, r + 1)) {
                int i = next.getAndIncrement();
                if (i < n) {
                    return i;
                }
                running.decrementAndGet();
                return -1;
            }
        }
    }

    private String scope(NodeContext ctx, int index) {
        return ctx.key() + "[" + index + "].";
    }
}
