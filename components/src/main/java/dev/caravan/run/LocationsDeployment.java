package dev.caravan.run;

import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Deploys the workflows of the {@value WorkflowCatalog#LOCATIONS_PROPERTY} files once the Camel context is up
 * ({@value WorkflowCatalog#DEPLOY_PROPERTY}): then the routes the context was started with (an Integration's flows) are
 * in it and are not deployed again, and runs a restarted member takes over find their routes. A failure fails the
 * context's start. A message that reaches a workflow's {@code direct:} endpoint before its route is added waits for it,
 * as Camel's direct producers wait for their consumer.
 */
final class LocationsDeployment implements StartupListener {

    private final WorkflowCatalog catalog;
    /** Camel calls its listeners again whenever routes start later, the deployed ones among them. */
    private final AtomicBoolean done = new AtomicBoolean();

    LocationsDeployment(WorkflowCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // while the context starts, this is called before its routes' consumers start: too early to add routes; it is
        // called at once, already started, when the engine is made in a context that is up
        if (alreadyStarted) {
            deployOnce();
        }
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        deployOnce();
    }

    private void deployOnce() {
        if (done.compareAndSet(false, true)) {
            catalog.deployLocations();
        }
    }
}
