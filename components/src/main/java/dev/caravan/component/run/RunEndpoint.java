package dev.caravan.component.run;

import dev.caravan.component.node.EngineServices;
import dev.caravan.component.node.ErrorCodes;
import dev.caravan.component.node.RunScope;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import dev.caravan.event.EventTypes;
import dev.caravan.expr.ExpressionException;
import dev.caravan.expr.Expressions;
import dev.caravan.expr.Template;
import dev.caravan.json.Json;
import dev.caravan.run.InputValidator;
import dev.caravan.run.InvalidInputException;
import dev.caravan.run.RunExecutor;
import dev.caravan.run.RunRecords;
import dev.caravan.run.RunService;
import dev.caravan.run.StepServices;
import dev.caravan.run.WorkflowCatalog;
import dev.caravan.spi.Timers;
import dev.caravan.state.Mutation;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.state.RunStore;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Starts workflow runs from any route, and opens and closes the route that runs a workflow.
 * <p>
 * {@code caravan-run:start?workflow=x} starts a run of workflow x with the message body as input and replies with
 * the run id (for triggers), or with {@code waitForCompletion} its output once it finished (see
 * {@link RunStartProducer}); the {@link RunConstants} headers set its tenant, lane, correlation id and idempotency
 * key, and a run id among the message's headers is ignored. {@code begin} and {@code end} open and
 * close a workflow route: begin creates the run when the exchange carries none, end records the outcome: completed
 * with the output, or paused while a gate or wait is pending.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-run", title = "Caravan Run", syntax = "caravan-run:action",
             category = { Category.WORKFLOW }, producerOnly = true, remote = false, headersClass = RunConstants.class)
public class RunEndpoint extends DefaultEndpoint implements WorkflowCatalog.WorkflowStep {

    private static final Logger LOG = LoggerFactory.getLogger(RunEndpoint.class);

    /** What the step does. */
    public enum Action {
        start, begin, end, resolve;

        static Action parse(String text) {
            try {
                return valueOf(text.toLowerCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("caravan-run action must be one of start, begin, end, resolve but was '"
                        + text + "'");
            }
        }
    }

    @UriPath(description = "start (a run), resolve (a gate), or begin or end (a workflow's route)")
    @Metadata(required = true)
    private Action action;
    @UriParam(description = "The workflow name (start, begin, end)")
    private String workflow;
    @UriParam(label = "start", description = "The id of one of the workflow's spec.triggers: its filter, input mapping"
                                             + " and idempotency key apply to each message (the routes a trigger"
                                             + " compiles to set it)")
    private String trigger;
    @UriParam
    private RunConfiguration configuration;

    private TriggerEvents triggerEvents;
    private TriggerActivity triggerActivity;

    private StepServices services;
    private RunService runService;
    private RunExecutor runExecutor;
    private String workflowHash;
    private List<String> nodes = List.of();
    private Template outputTemplate;
    private InputValidator validator;

    public RunEndpoint(String uri, RunComponent component, RunConfiguration configuration, StepServices services,
            RunService runService, RunExecutor runExecutor) {
        super(uri, component);
        this.configuration = configuration;
        this.services = services;
        this.runService = runService;
        this.runExecutor = runExecutor;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (action != Action.resolve && (workflow == null || workflow.isBlank())) {
            throw new IllegalArgumentException("caravan-run:" + action + " needs workflow=<name>");
        }
        if (services == null) {
            services = EngineServices.steps(getCamelContext());
        }
        if (runService == null) {
            runService = EngineServices.runService(getCamelContext());
        }
        if (runExecutor == null) {
            runExecutor = EngineServices.runExecutor(getCamelContext());
        }
        if (action == Action.resolve) {
            return;
        }
        if (action == Action.start) {
            if (trigger != null) {
                // a trigger's route is deployed with its workflow, which is registered first
                triggerEvents = triggerEvents(services.catalog().definition(workflow));
                triggerActivity = ((RunComponent) getComponent()).triggerActivity(workflow, trigger);
            }
            // otherwise the workflow may be deployed after this route starts: runs are started by name
            return;
        }
        Workflow wf = services.catalog().definition(workflow);
        workflowHash = wf.hash();
        nodes = wf.nodes().stream().map(Node::id).toList();
        outputTemplate = wf.output() == null ? null
                : services.expressions().compile(wf.output(), Expressions.TOP_LEVEL);
        validator = InputValidator.of(workflow, wf.inputSchema());
    }

    @Override
    public Producer createProducer() {
        if (action == Action.start) {
            return new RunStartProducer(this);
        }
        if (action == Action.resolve) {
            return new GateDecisionProducer(this);
        }
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) {
                if (action == Action.begin) {
                    beginRun(exchange);
                } else {
                    endRun(exchange);
                }
            }
        };
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("caravan-run is a producer only: use it in to:");
    }

    private void beginRun(Exchange exchange) {
        String runId = exchange.getProperty(RunRecords.RUN_ID, String.class);
        if (runId == null) {
            // a route run directly (plain Camel): the message body is the input of a new run
            RunRecord created = runService.createForRoute(workflow, workflowHash, validator,
                    plainInput(exchange.getMessage()));
            exchange.setProperty(RunRecords.RUN_ID, created.runId());
            exchange.setProperty(RunRecords.RECORD, created);
            return;
        }
        RunRecord r = RunRecords.seen(exchange, runId);
        if (r == null) {
            r = services.store().get(runId);
        }
        if (r == null) {
            throw new IllegalStateException("Run " + runId + " does not exist");
        }
        if (workflowHash != null && r.workflowHash() != null && !workflowHash.equals(r.workflowHash())) {
            RunStore store = services.store();
            if (r.nodes().isEmpty() && nothingDecided(store, runId)) {
                // created as its workflow was deployed again, before any node ran: no replay can decide differently,
                // so the run goes on with the deployed definition rather than wait for a migration nobody expects
                RunRecords.apply(store, exchange, runId, new Mutation.MigrateRun(workflowHash));
                return;
            }
            // replay on another definition may decide differently: the run waits until someone migrates it (or the
            // definition it started with is back), and nothing of this route runs on the new one
            LOG.warn("Run {} started on workflow {} version {}, and version {} is deployed: it awaits migration", runId,
                    workflow, Workflow.shortHash(r.workflowHash()), Workflow.shortHash(workflowHash));
            RunRecords.apply(store, exchange, runId, new Mutation.PauseRun(RunStatus.AWAITING_MIGRATION, List.of()));
            RunRecords.apply(store, exchange, runId, new Mutation.Emit(EventTypes.RUN_DEFINITION_CHANGED, null,
                    Map.of("startedWith", r.workflowHash(), "deployed", workflowHash, "migrated", false)));
            exchange.setRouteStop(true);
        }
    }

    /**
     * Whether no node of the run has started (read afresh: the exchange's record may be older than the run) and its
     * input suits the deployed definition too.
     */
    private boolean nothingDecided(RunStore store, String runId) {
        RunRecord current = store.get(runId);
        if (current == null || !current.nodes().isEmpty()) {
            return false;
        }
        try {
            validator.validate(current.input());
            return true;
        } catch (InvalidInputException refused) {
            return false;
        }
    }

    private void endRun(Exchange exchange) {
        String runId = exchange.getProperty(RunRecords.RUN_ID, String.class);
        RunRecord seen = RunRecords.seen(exchange, runId);
        if (seen == null || !end(exchange, seen, false)) {
            end(exchange, RunRecords.read(services.store(), exchange, runId), true);
        }
        // what the last steps deferred, when the outcome made no update to carry it
        RunRecords.flush(services.store(), exchange, runId);
    }

    /**
     * Records the outcome the record shows. Returns false, doing nothing, when a record that may be stale shows
     * unfinished nodes and nothing pending (the caller then reads it afresh).
     */
    private boolean end(Exchange exchange, RunRecord r, boolean fresh) {
        String runId = r.runId();
        if (r.status().isTerminal()) {
            exchange.getMessage().setBody(services.values().resolve(r.output()));
            exchange.setProperty(RunRecords.RECORD, r);
            return true;
        }
        List<String> unfinished = new ArrayList<>();
        for (String id : nodes) {
            NodeRecord n = r.node(id);
            if (n == null || !n.settled()) {
                unfinished.add(id);
            }
        }
        if (unfinished.isEmpty()) {
            Map<String, Object> vars = RunScope.variables(services, r, "", Map.of());
            Object out;
            try {
                out = outputTemplate != null ? outputTemplate.evaluate(vars) : RunScope.outputsOf(vars, nodes);
            } catch (RuntimeException e) {
                RunRecords.apply(services.store(), exchange, runId, new Mutation.FailRun(e.getClass().getName(),
                        e instanceof ExpressionException ? ErrorCodes.EXPRESSION : ErrorCodes.ERROR,
                        "output: " + e.getMessage()));
                throw e;
            }
            RunRecords.apply(services.store(), exchange, runId, new Mutation.CompleteRun(out));
            exchange.getMessage().setBody(out);
            return true;
        }
        NodeStatus pending = RunScope.pendingUnder(r, "");
        if (pending == null) {
            if (!fresh) {
                return false;
            }
            // another execution of this run is still under way (it will record the outcome)
            LOG.debug("Run {} reached its end with unfinished nodes {}", runId, unfinished);
            return true;
        }
        List<String> keys = new ArrayList<>();
        for (NodeRecord n : r.nodes().values()) {
            if (n.status().isPending()) {
                keys.add(n.key());
            }
        }
        RunStatus status = pending == NodeStatus.AWAITING_APPROVAL ? RunStatus.AWAITING_APPROVAL : RunStatus.WAITING;
        RunRecords.apply(services.store(), exchange, runId, new Mutation.PauseRun(status, keys));
        exchange.getMessage().setBody(null);
        return true;
    }

    /** The message body as a run's input: a map or a list as it is, JSON text parsed, other text as it is. */
    static Object plainInput(Message message) {
        Object body = message.getBody();
        if (body == null) {
            return Map.of();
        }
        if (body instanceof Map || body instanceof List) {
            return body;
        }
        String text = message.getBody(String.class);
        try {
            return Json.parse(text);
        } catch (RuntimeException notJson) {
            return text;
        }
    }

    private TriggerEvents triggerEvents(Workflow wf) {
        for (Trigger t : wf.triggers()) {
            if (t.id().equals(trigger)) {
                return new TriggerEvents(workflow, t, services.expressions());
            }
        }
        throw new IllegalArgumentException("Workflow " + workflow + " has no trigger '" + trigger + "'"
                + (wf.triggers().isEmpty() ? " (it declares none)" : "; its triggers are "
                + String.join(", ", wf.triggers().stream().map(Trigger::id).toList())));
    }

    /** The trigger whose events this endpoint starts runs from, or null. */
    TriggerEvents triggerEvents() {
        return triggerEvents;
    }

    /** What that trigger received, or null. */
    TriggerActivity triggerActivity() {
        return triggerActivity;
    }

    RunService runService() {
        return runService;
    }

    StepServices stepServices() {
        return services;
    }

    RunExecutor runExecutor() {
        return runExecutor;
    }

    Timers timers() {
        return services.timers();
    }

    public Action getAction() {
        return action;
    }

    /** start, begin or end. */
    public void setAction(Action action) {
        this.action = action;
    }

    public String getWorkflow() {
        return workflow;
    }

    @Override
    public String workflowName() {
        return workflow;
    }

    /** The workflow name. */
    public void setWorkflow(String workflow) {
        this.workflow = workflow;
    }

    public String getTrigger() {
        return trigger;
    }

    /**
     * The id of one of the workflow's spec.triggers: its filter, input mapping and idempotency key apply to each
     * message (the routes a trigger compiles to set it).
     */
    public void setTrigger(String trigger) {
        this.trigger = trigger;
    }

    public RunConfiguration getConfiguration() {
        return configuration;
    }

    /** The endpoint's options: a copy of the component's, then what its URI sets. */
    public void setConfiguration(RunConfiguration configuration) {
        this.configuration = configuration;
    }
}
