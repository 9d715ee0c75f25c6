import type { NovaVMS } from "../client.js";
import type { RequestOptions } from "../types.js";
/** One type a webhook message or change can carry (schema `EventType`). */
export interface EventType {
    type: string;
    description: string;
    /** The self-contained JSON Schema of its message (its keys kept as sent). */
    schema: Record<string, unknown>;
}
/** The catalogue (schema `EventTypeList`). */
export interface EventTypeList {
    data: EventType[];
}
/** `novavms.eventTypes`: the catalogue of message types (any role but an ingest key). */
export declare class EventTypes {
    #private;
    constructor(client: NovaVMS);
    /** Every type, with its description and JSON Schema. */
    list(options?: RequestOptions): Promise<EventType[]>;
}
