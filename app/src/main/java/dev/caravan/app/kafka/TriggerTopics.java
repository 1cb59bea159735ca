package dev.caravan.app.kafka;

import dev.caravan.compile.TriggerRoutes;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.WorkflowCatalog;
import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.Service;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Makes the topics a Kafka trigger's route needs when the route starts: its dead-letter topic always (it is
 * Caravan's), and the topic it reads too when the broker is the embedded one (a laptop's, which makes no topic on
 * first use). Kafka may still be starting, or away: the topics are made in the background, retried until they exist.
 */
public final class TriggerTopics implements RoutePolicyFactory, Service {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerTopics.class);

    private final String bootstrapServers;
    private final boolean embedded;
    private final Supplier<WorkflowCatalog> catalog;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "caravan-trigger-topics");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param embedded whether the broker is the one {@code caravan serve} started, whose topics are its to make
     */
    public TriggerTopics(String bootstrapServers, boolean embedded, Supplier<WorkflowCatalog> catalog) {
        this.bootstrapServers = bootstrapServers;
        this.embedded = embedded;
        this.catalog = catalog;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        if (!routeId.startsWith(TriggerRoutes.ROUTE_PREFIX)) {
            return null;
        }
        return new RoutePolicySupport() {
            @Override
            public void onStart(Route started) {
                List<String> topics = topicsOf(routeId);
                if (!topics.isEmpty()) {
                    retries.execute(() -> ensure(topics, 1));
                }
            }
        };
    }

    /** The topics the Kafka trigger of this route needs made, or none. */
    private List<String> topicsOf(String routeId) {
        WorkflowCatalog workflows = catalog.get();
        for (String name : workflows.names()) {
            Workflow wf = workflows.get(name);
            for (Trigger t : wf == null ? List.<Trigger>of() : wf.triggers()) {
                if (t instanceof Trigger.Kafka k && TriggerRoutes.routeId(wf, t).equals(routeId)) {
                    List<String> topics = new ArrayList<>();
                    topics.add(k.deadLetterTopic());
                    if (embedded) {
                        topics.add(k.topic());
                    }
                    return topics;
                }
            }
        }
        return List.of();
    }

    private void ensure(List<String> topics, int attempt) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            for (String topic : topics) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty()))).all().get();
                    LOG.info("Created topic {} for a Kafka trigger", topic);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | RuntimeException e) {
            long delay = Math.min(30, 1L << Math.min(attempt, 5));
            if (attempt == 3) {
                LOG.warn("Cannot make the topics {} of a Kafka trigger at {} yet ({}): trying again every {} s", topics,
                        bootstrapServers, e instanceof ExecutionException ? e.getCause() : e, delay);
            }
            if (!retries.isShutdown()) {
                retries.schedule(() -> ensure(topics, attempt + 1), delay, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void start() {
        // made ready by its constructor
    }

    /** Stops retrying with Camel: what is not made yet is made at the next start. */
    @Override
    public void stop() {
        retries.shutdownNow();
    }
}
