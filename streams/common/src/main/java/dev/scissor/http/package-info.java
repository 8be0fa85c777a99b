/**
 * The small HTTP/JSON endpoint of every Scissor app: routes, body limits, the optional bearer token.
 */
package dev.scissor.http;
