import { toCamel } from "../case.js";
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
export class EventTypes {
  readonly #client: NovaVMS;

  constructor(client: NovaVMS) {
    this.#client = client;
  }

  /** Every type, with its description and JSON Schema. */
  async list(options?: RequestOptions): Promise<EventType[]> {
    const answer = toCamel<EventTypeList>(await this.#client.requestJson("list_event_types", {}, options));
    return answer.data;
  }
}
